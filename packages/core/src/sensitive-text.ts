import { REDACTED } from "./difference.js";

/*
 * The patterns are written to run in linear time on long bodies: each starts only where the
 * previous character cannot belong to a match (a lookbehind), so a long run of letters or digits is
 * scanned once, not once per position.
 */

/** `Bearer <token>` in any case; the scheme word is kept: `Bearer [REDACTED]`. */
const BEARER = /(?<![A-Za-z0-9])(bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
/** A JSON Web Token: three base64url parts, the first starting `eyJ` (`{"`); the signature may be empty. */
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
/** 13 to 19 digits, single spaces or dashes between them allowed, not part of a longer digit run. */
const CARD = /(?<!\d[ -]?)\d(?:[ -]?\d){12,18}(?![ -]?\d)/g;

/**
 * Replaces bearer tokens, JWTs, e-mail addresses and Luhn-valid card numbers with REDACTED.
 *
 * @example
 * redactText("mail bob@example.com, card 4111 1111 1111 1111"); // "mail [REDACTED], card [REDACTED]"
 */
export function redactText(text: string): string {
  return text
    .replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(EMAIL, REDACTED)
    .replace(CARD, (match) => (luhnValid(match.replace(/[ -]/g, "")) ? REDACTED : match));
}

/** The Luhn checksum that every payment card number satisfies. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}
