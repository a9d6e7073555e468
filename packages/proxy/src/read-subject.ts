import type { IncomingHttpHeaders } from "node:http";
import type { SubjectSource } from "./proxy-config.js";

/** The subject of a request as a route reads it, or undefined when the request carries none. */
export function readSubject(
  source: SubjectSource | undefined,
  headers: IncomingHttpHeaders,
  /** The query string without its `?` ("" when none). */
  query: string,
): string | undefined {
  if (source === undefined) return undefined;
  const at = source.indexOf(":");
  const kind = source.slice(0, at);
  const name = source.slice(at + 1);
  let value: string | undefined;
  if (kind === "header") {
    const raw = headers[name.toLowerCase()];
    value = Array.isArray(raw) ? raw[0] : raw;
  } else if (kind === "cookie") {
    value = cookie(headers.cookie, name);
  } else {
    // Parsed only for routes that read the query: most requests never pay for it.
    value = query === "" ? undefined : (new URLSearchParams(query).get(name) ?? undefined);
  }
  value = value?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const raw = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}
