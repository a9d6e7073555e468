import type { ComparedResponse } from "./difference.js";
import type { SafeRegex } from "./regex-safety.js";

/** Text values stored in a difference are cut to this many characters, then TRUNCATION_MARKER is appended. */
export const MAX_STORED_TEXT = 1024;
export const TRUNCATION_MARKER = "…[truncated]";

// Not fatal: bytes that are not UTF-8 decode to U+FFFD, so a binary body still compares (as text).
const decoder = new TextDecoder("utf-8");

/** The body as text; undefined when there is none. */
export function bodyText(body: ComparedResponse["body"] | unknown): string | undefined {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) {
    try {
      return decoder.decode(body);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A header's value (multiple values joined by ", "), looked up case-insensitively; undefined when absent. */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  const record = headers as Record<string, unknown>;
  let value = Object.hasOwn(record, name) ? record[name] : undefined;
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string").join(", ");
  return undefined;
}

/** `application/json`, `text/json` and any `…+json` media type (parameters such as charset ignored). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return type === "application/json" || type === "text/json" || (type.endsWith("+json") && type.includes("/"));
}

/** At most MAX_STORED_TEXT characters, never splitting a surrogate pair, with a marker when cut. */
export function truncateText(text: string): string {
  if (text.length <= MAX_STORED_TEXT) return text;
  let end = MAX_STORED_TEXT;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + TRUNCATION_MARKER;
}

export interface TextNormalization {
  trim: boolean;
  collapseWhitespace: boolean;
  ignoreCase: boolean;
  /** Patterns (RE2, linear time: response bodies are large) whose every match is removed. */
  remove: readonly SafeRegex[];
}

/** Removes the `remove` matches first, then collapses white space, trims, and lower-cases, in that order. */
export function normalizeText(text: string, normalization: TextNormalization): string {
  let out = text;
  for (const regex of normalization.remove) out = regex.matcher(out).replaceAll("");
  if (normalization.collapseWhitespace) out = out.replace(/\s+/g, " ");
  if (normalization.trim) out = out.trim();
  if (normalization.ignoreCase) out = out.toLowerCase();
  return out;
}
