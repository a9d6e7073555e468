import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Scope } from "./scopes.js";

/** A new secret: `dl_<scope>_` and 32 random bytes, so a leaked token says what it can do. */
export function newTokenSecret(scope: Scope): string {
  return `dl_${scope}_${randomBytes(32).toString("base64url")}`;
}

/** Tokens are stored as SHA-256 hashes only; the secret is shown once, at creation. */
export function hashToken(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newTokenId(): string {
  return `tok_${randomBytes(8).toString("hex")}`;
}
