import { patterns } from "./compare-options.js";
import { type ComparedResponse, type Difference, REDACTED, type RedactionOptions } from "./difference.js";
import { type Problem, ValidationError } from "./errors.js";
import { checkKnownKeys, headerNames, isRecord, optionalBoolean, stringList } from "./option-checks.js";
import { type CompiledPattern, coversSegments, ELEMENT, type PathSegment, parsePath } from "./path-pattern.js";
import { redactText } from "./sensitive-text.js";

/** Headers whose values are always hidden, whatever the options say. */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/** Values nested deeper than this are hidden whole rather than walked (and cycles are hidden too). */
export const MAX_REDACT_DEPTH = 200;

export type RedactedHeaders = Record<string, string | readonly string[] | undefined>;

/** Hides secrets and personal data before anything is stored or sent. No method throws. */
export interface Redactor {
  /** A copy with sensitive headers' values replaced by REDACTED and the others passed through `text`. */
  headers(headers: ComparedResponse["headers"]): RedactedHeaders;
  /**
   * A deep copy with the values at configured paths replaced by REDACTED and every string passed
   * through `text`. `path` is the generic path of `value` itself (default `body`), so a configured
   * path `body.user.email` hides `value.user.email`.
   */
  json(value: unknown, path?: string): unknown;
  /** E-mail addresses, Luhn-valid card numbers, bearer tokens and JWTs replaced by REDACTED. */
  text(text: string): string;
  /** The path and query of a URL (origin and fragment dropped), configured query values hidden, `text` applied to the rest. */
  url(url: string): string;
  /**
   * A copy with `baseline` and `dark` hidden whole where `path` is a hidden path or header (any
   * case), else passed through `json`; `path` and `location` passed through `text`.
   */
  difference(difference: Difference): Difference;
}

/**
 * Validates the options once (throwing a `ValidationError` with paths such as `paths[1]`) and
 * returns a redactor.
 *
 * @example
 * const redact = compileRedactor({ headers: ["x-api-key"], paths: ["body.**.password"], query: ["token"] });
 * redact.headers({ authorization: "Bearer abc", "x-trace": "t1" }); // { authorization: "[REDACTED]", "x-trace": "t1" }
 * redact.url("https://api.example.com/v1/orders?token=s3cret&page=2"); // "/v1/orders?token=[REDACTED]&page=2"
 */
export function compileRedactor(options: RedactionOptions = {}): Redactor {
  const problems: Problem[] = [];
  const raw: unknown = options ?? {};
  if (!isRecord(raw)) throw new ValidationError("redaction options", [{ path: "", message: "options must be an object" }]);
  checkKnownKeys(raw, ["headers", "paths", "query", "patterns"], "", problems);
  const hiddenHeaders = new Set([...ALWAYS_REDACTED_HEADERS, ...headerNames(raw.headers, "headers", problems)]);
  const paths = patterns(raw.paths, "paths", problems);
  const query = new Set<string>();
  for (const item of stringList(raw.query, "query", problems)) {
    if (item.value === "") problems.push({ path: item.path, message: "a query parameter name cannot be empty" });
    else query.add(item.value.toLowerCase());
  }
  const usePatterns = optionalBoolean(raw.patterns, "patterns", problems) ?? true;
  if (problems.length > 0) throw new ValidationError("redaction options", problems);
  const redactor = new PatternRedactor(hiddenHeaders, paths, query, usePatterns);
  // Bound, so the methods can be passed around on their own (`const { text } = redactor`).
  return {
    headers: (headers) => redactor.headers(headers),
    json: (value, path) => redactor.json(value, path),
    text: (text) => redactor.text(text),
    url: (url) => redactor.url(url),
    difference: (difference) => redactor.difference(difference),
  };
}

class PatternRedactor implements Redactor {
  constructor(
    private readonly hiddenHeaders: ReadonlySet<string>,
    private readonly paths: readonly CompiledPattern[],
    private readonly query: ReadonlySet<string>,
    private readonly usePatterns: boolean,
  ) {}

  text(text: string): string {
    if (typeof text !== "string") return "";
    return this.usePatterns ? redactText(text) : text;
  }

  headers(headers: ComparedResponse["headers"]): RedactedHeaders {
    const out: RedactedHeaders = {};
    if (typeof headers !== "object" || headers === null) return out;
    try {
      for (const name of Object.keys(headers)) {
        const value: unknown = headers[name];
        let redacted: string | readonly string[] | undefined;
        if (value === undefined) redacted = undefined;
        else if (this.headerHidden(name.toLowerCase())) redacted = REDACTED;
        else if (Array.isArray(value)) redacted = value.map((v: unknown) => this.text(String(v)));
        else redacted = this.text(String(value));
        define(out, name, redacted);
      }
    } catch {
      // A hostile object (a throwing getter): hide everything rather than throw.
      return {};
    }
    return out;
  }

  json(value: unknown, path = "body"): unknown {
    const segments = parsePath(path);
    if (segments === undefined) return REDACTED;
    try {
      return this.walk(value, segments, 0, new Set());
    } catch {
      return REDACTED;
    }
  }

  url(url: string): string {
    if (typeof url !== "string") return "";
    let rest = url;
    const hash = rest.indexOf("#");
    if (hash >= 0) rest = rest.slice(0, hash);
    const origin = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(rest);
    if (origin !== null) {
      rest = rest.slice(origin[0].length);
      if (!rest.startsWith("/")) rest = `/${rest}`;
    }
    const q = rest.indexOf("?");
    const path = (q < 0 ? rest : rest.slice(0, q))
      .split("/")
      .map((segment) => this.component(segment, false))
      .join("/");
    if (q < 0) return path;
    const query = rest
      .slice(q + 1)
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=");
        if (eq < 0) return this.component(pair, true);
        const name = pair.slice(0, eq);
        if (this.query.has(decode(name, true).toLowerCase())) return `${name}=${REDACTED}`;
        return `${name}=${this.component(pair.slice(eq + 1), true)}`;
      })
      .join("&");
    return `${path}?${query}`;
  }

  difference(difference: Difference): Difference {
    const d: Partial<Difference> = isRecord(difference) ? difference : {};
    const path = typeof d.path === "string" ? d.path : "";
    const segments = parsePath(path);
    const whole =
      segments === undefined ||
      this.pathHidden(segments) ||
      (segments.length === 2 && segments[0] === "headers" && this.headerHidden(segments[1]));
    const out: Difference = {
      // A path holds object keys, which can be secrets themselves (`body.byEmail["bob@example.com"]`).
      path: this.text(path),
      location: this.text(typeof d.location === "string" ? d.location : path),
      kind: d.kind ?? "changed",
    };
    if (Object.hasOwn(d, "baseline")) out.baseline = whole ? REDACTED : this.json(d.baseline, path);
    if (Object.hasOwn(d, "dark")) out.dark = whole ? REDACTED : this.json(d.dark, path);
    return out;
  }

  private headerHidden(name: PathSegment | undefined): boolean {
    if (typeof name !== "string") return false;
    // Header names are case-insensitive: `headers.Authorization` is as secret as `headers.authorization`.
    const lower = name.toLowerCase();
    return this.hiddenHeaders.has(lower) || this.pathHidden(["headers", lower]) || this.pathHidden(["headers", name]);
  }

  private pathHidden(segments: readonly PathSegment[]): boolean {
    return this.paths.some((pattern) => coversSegments(pattern, segments));
  }

  private walk(value: unknown, segments: PathSegment[], depth: number, open: Set<object>): unknown {
    if (this.pathHidden(segments)) return REDACTED;
    if (typeof value === "string") return this.text(value);
    // A card number sent as a JSON number is as secret as one sent as text.
    if (typeof value === "number") return Number.isSafeInteger(value) && this.text(String(value)) !== String(value) ? REDACTED : value;
    if (typeof value !== "object" || value === null) return value;
    if (depth >= MAX_REDACT_DEPTH || open.has(value)) return REDACTED;
    open.add(value);
    let out: unknown;
    if (Array.isArray(value)) {
      segments.push(ELEMENT);
      out = value.map((item: unknown) => this.walk(item, segments, depth + 1, open));
      segments.pop();
    } else {
      const record: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        segments.push(key);
        // Keys are data too (a map keyed by e-mail address): hidden like any other text.
        define(record, this.text(key), this.walk((value as Record<string, unknown>)[key], segments, depth + 1, open));
        segments.pop();
      }
      out = record;
    }
    open.delete(value);
    return out;
  }

  /** A URL path segment or query value: decoded, passed through `text`, re-encoded only when that changed it. */
  private component(raw: string, query: boolean): string {
    const decoded = decode(raw, query);
    const redacted = this.text(decoded);
    if (redacted === decoded) return raw;
    return encodeURIComponent(redacted).replaceAll(encodeURIComponent(REDACTED), REDACTED);
  }
}

function decode(raw: string, query: boolean): string {
  const text = query ? raw.replace(/\+/g, " ") : raw;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Sets a property even when it is named `__proto__`, which plain assignment would treat as the prototype. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
