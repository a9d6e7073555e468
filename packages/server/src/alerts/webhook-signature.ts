import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-darklaunch-signature";
export const DELIVERY_HEADER = "x-darklaunch-delivery";

/** A new signing secret: `whsec_` and 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** Hex HMAC-SHA256 of `t.body` under `secret`. */
function mac(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
}

/**
 * The `x-darklaunch-signature` header of a body (Stripe's scheme): `t=<unix seconds>,v1=<hex>`, the
 * HMAC-SHA256 of `<t>.<body>`. The timestamp is signed too, so a receiver that refuses old
 * timestamps also refuses replays.
 *
 * @example
 * signatureHeader("whsec_…", '{"alert":…}', 1764600000) // "t=1764600000,v1=5f0c…"
 */
export function signatureHeader(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/**
 * Checks a signature header against the raw body, as a receiver does: true when a `v1` matches and
 * the timestamp is within `toleranceSeconds` of `now` (seconds).
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  { now = Math.floor(Date.now() / 1000), toleranceSeconds = 300 }: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const parts = header.split(",").map((part) => part.trim().split("=", 2) as [string, string | undefined]);
  const timestamp = Number(parts.find(([name]) => name === "t")?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(mac(secret, timestamp, body), "hex");
  return parts
    .filter(([name, value]) => name === "v1" && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value as string, "hex"), expected));
}
