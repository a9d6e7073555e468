import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { webhookUrlProblem } from "@darklaunch/core";

// Re-exported for callers that check a URL before resolving it.
export { webhookUrlProblem };

/**
 * Addresses a webhook may not reach unless the server allows private targets: a token holder who
 * could point a webhook there would make the server probe the internal network (SSRF).
 * Unspecified, loopback, private (RFC 1918, unique-local), shared (CGNAT), link-local (cloud
 * metadata lives at 169.254.169.254), benchmarking, multicast and reserved ranges. IPv4-mapped
 * IPv6 addresses (`::ffff:10.0.0.1`) are checked against the IPv4 rules by BlockList itself.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv6");
}

/** True for an address a webhook must not reach without the allow option. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The host of a URL without IPv6 brackets, as `isIP` and `dns.lookup` take it. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** 400-worthy: the target is refused; the message says why. */
export class WebhookTargetError extends Error {}

/**
 * Resolves the URL's host and refuses it when any address it resolves to is private (a name with
 * one public and one private address is refused too: the connection could use either).
 */
export async function checkWebhookTarget(text: string, allowPrivate: boolean): Promise<void> {
  const problem = webhookUrlProblem(text);
  if (problem !== undefined) throw new WebhookTargetError(problem);
  if (allowPrivate) return;
  const host = hostOf(new URL(text));
  const addresses = isIP(host) !== 0 ? [host] : await resolveAll(host);
  const refused = addresses.filter(isPrivateAddress);
  if (refused.length > 0) {
    throw new WebhookTargetError(
      `${host} is a private, loopback or link-local address (${refused.join(", ")}); webhooks may only reach public addresses unless the server runs with --allow-private-webhooks`,
    );
  }
}

async function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(new WebhookTargetError(`host ${host} does not resolve (${error.code ?? error.message})`));
      else resolve(addresses.map((a) => a.address));
    });
  });
}

/**
 * A `lookup` for `http.request` that refuses private addresses at connect time. Checking the URL
 * when the destination is created is not enough: the name may resolve elsewhere later (DNS
 * rebinding), so the addresses actually connected to are checked on every attempt.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 0);
    const refused = addresses.filter((a) => isPrivateAddress(a.address));
    if (refused.length > 0) {
      const denied = Object.assign(new Error(`${hostname} resolves to a private address (${refused[0]?.address}); refused`), {
        code: "EPRIVATETARGET",
      });
      return callback(denied, "", 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
    return callback(null, first.address, first.family);
  });
};

/** True when the URL's host is an IP literal that is private (the lookup is not called for those). */
export function isPrivateLiteral(text: string): boolean {
  const host = hostOf(new URL(text));
  return isIP(host) !== 0 && isPrivateAddress(host);
}
