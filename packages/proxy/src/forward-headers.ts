import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

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

/** A backend's response headers as the client gets them. */
export function clientHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  return withoutHopByHop(headers);
}
