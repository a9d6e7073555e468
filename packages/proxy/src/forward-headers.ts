import type { IncomingHttpHeaders } from "node:http";

// RFC 9110 §7.6.1: connection-specific fields are for one hop only.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Headers without hop-by-hop fields (including those the `connection` header names). */
export function withoutHopByHop(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const named = headers.connection;
  // `connection: keep-alive` (the usual case) names nothing beyond the fixed list.
  const listed =
    named === undefined || named === "keep-alive" || named === "close"
      ? undefined
      : new Set(
          (Array.isArray(named) ? named.join(",") : named)
            .split(",")
            .map((h) => h.trim().toLowerCase())
            .filter((h) => h !== ""),
        );
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed?.has(name) === true) continue;
    out[name] = value;
  }
  return out;
}

const VIA = "1.1 darklaunch";

/** What goes to a backend: the client's headers minus hop-by-hop and `host`, plus forwarding headers. */
export function backendHeaders(
  incoming: IncomingHttpHeaders,
  requestId: string,
  remoteAddress: string | undefined,
): Record<string, string | string[]> {
  const out = withoutHopByHop(incoming);
  delete out.host;
  // Node has already answered `expect: 100-continue` to the client; undici refuses the header.
  delete out.expect;
  out["x-request-id"] = requestId;
  const forwardedFor = incoming["x-forwarded-for"];
  if (remoteAddress !== undefined)
    out["x-forwarded-for"] = forwardedFor === undefined ? remoteAddress : `${forwardedFor}, ${remoteAddress}`;
  if (incoming.host !== undefined && incoming["x-forwarded-host"] === undefined) out["x-forwarded-host"] = incoming.host;
  // The proxy listens on plain HTTP: a TLS terminator in front sets its own value, which is kept.
  if (incoming["x-forwarded-proto"] === undefined) out["x-forwarded-proto"] = "http";
  // RFC 9110 §7.6.3: a gateway MUST add itself to Via on the requests it forwards.
  const via = incoming.via;
  out.via = via === undefined ? VIA : `${via}, ${VIA}`;
  return out;
}

/** A backend's raw response headers (undici's `[name, value, …]` buffers) as the client gets them. */
export interface RelayedHeaders {
  /** `[name, value, name, value, …]` for `writeHead`, hop-by-hop fields removed. */
  flat: string[];
  /** The response's content-length, or -1 when it has none (chunked, or read to the close). */
  contentLength: number;
}

/** One pass over the raw headers: no object built, no lower-casing of names that cannot be hop-by-hop. */
export function relayHeaders(raw: readonly Buffer[]): RelayedHeaders {
  const flat: string[] = [];
  let contentLength = -1;
  let listed: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString("latin1");
    const value = (raw[i + 1] as Buffer).toString("latin1");
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === "connection" && value !== "keep-alive" && value !== "close") {
        listed ??= new Set();
        for (const h of value.split(",")) if (h.trim() !== "") listed.add(h.trim().toLowerCase());
      }
      continue;
    }
    if (lower === "content-length") contentLength = Number(value);
    flat.push(name, value);
  }
  if (listed === undefined) return { flat, contentLength };
  // Rare: `connection` names further fields, which are for this hop only too.
  const kept: string[] = [];
  for (let i = 0; i < flat.length; i += 2)
    if (!listed.has((flat[i] as string).toLowerCase())) kept.push(flat[i] as string, flat[i + 1] as string);
  return { flat: kept, contentLength };
}

/** Raw headers as the object a comparison reads (lower-case names, repeated fields as arrays), as undici parses them. */
export function headerRecord(raw: readonly Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString("latin1").toLowerCase();
    const value = (raw[i + 1] as Buffer).toString("latin1");
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}
