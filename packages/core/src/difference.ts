/**
 * The shapes response comparison and redaction share with observation windows: what a response
 * looks like to the comparer, how a comparison is configured, and one difference it found.
 */

/** One HTTP response as the comparer sees it. Header names are lower-case. */
export interface ComparedResponse {
  status: number;
  /** Read only when a header is compared or the bodies differ: it may be a getter that builds the record then. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Raw body. JSON (by content-type, or `json: true` in the options) is parsed and diffed by path. */
  body?: Uint8Array | string | undefined;
}

export type DifferenceKind = "changed" | "added" | "removed" | "type";

/**
 * One place where the dark response differs from the baseline. `path` is the generic field path
 * that counters are kept by (`body.items[].price`: array indices folded to `[]`); `location` is
 * where it was in this response (`body.items[3].price`). A value absent on one side is omitted.
 */
export interface Difference {
  path: string;
  location: string;
  kind: DifferenceKind;
  baseline?: unknown;
  dark?: unknown;
}

/** How two responses are compared. Every field is optional; the defaults compare status and body. */
export interface CompareOptions {
  /** Header names (any case) whose values must be equal. Default: none. */
  headers?: readonly string[];
  /**
   * Paths to leave out, with wildcards: `*` one segment, `**` any number, `[]` every element.
   * E.g. `headers.date`, `body.meta.*`, `body.items[].id`, `body.**.updatedAt`.
   */
  ignore?: readonly string[];
  /** Match array elements by a key field instead of by index: `{ "body.items[]": "id" }`. */
  arrayKeys?: Readonly<Record<string, string>>;
  /** Numbers equal within this absolute or relative tolerance count as equal. */
  tolerance?: { absolute?: number; relative?: number };
  /** For non-JSON bodies: normalise before comparing bytes as text. */
  normalize?: {
    trim?: boolean;
    collapseWhitespace?: boolean;
    ignoreCase?: boolean;
    /** Regular expressions (source strings) whose matches are removed before comparing. */
    remove?: readonly string[];
  };
  /** Parse bodies as JSON whatever their content-type. */
  json?: boolean;
  /** At most this many differences are listed (default 100); `truncated` says more were found. */
  maxDifferences?: number;
}

/** The outcome of comparing two responses. */
export interface ComparisonResult {
  match: boolean;
  differences: Difference[];
  truncated: boolean;
}

/** What to hide before anything is stored or sent. */
export interface RedactionOptions {
  /** Header names hidden besides `authorization`, `proxy-authorization`, `cookie`, `set-cookie` (always hidden). */
  headers?: readonly string[];
  /** Field paths (same wildcards as `CompareOptions.ignore`) whose values are hidden. */
  paths?: readonly string[];
  /** Query parameter names whose values are hidden in URLs. */
  query?: readonly string[];
  /** Hide values that look like e-mail addresses, card numbers or bearer tokens (default true). */
  patterns?: boolean;
}

/** The text that replaces a hidden value. */
export const REDACTED = "[REDACTED]";
