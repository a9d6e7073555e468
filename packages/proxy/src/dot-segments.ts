/** How many layers of percent-encoding are undone before a path is judged (`%25252e` is three). */
const MAX_DECODES = 4;

/**
 * True when the path holds a `.` or `..` segment as any backend might read it: percent-encoded
 * (`%2e%2e%2f`, and again `%252e%252e`), with a backslash for a slash (`..\`, IIS and Windows
 * servers), or with a path parameter (`..;/`, Tomcat and Jetty). Such a path could match one route's
 * prefix and reach the backend as another path. Cheap for the usual path, which has no dot.
 *
 * @example
 * hasDotSegment("/api/%2e%2e%2fadmin"); // true
 * hasDotSegment("/v1.2/file.json");     // false
 */
export function hasDotSegment(path: string): boolean {
  let current = path;
  for (let round = 0; ; round++) {
    // Nothing that could decode to a dot, a slash or a backslash: the check is done.
    if (!/[.%\\]/.test(current)) return false;
    if (DOT_SEGMENT.test(current)) return true;
    if (round === MAX_DECODES || !current.includes("%")) return false;
    const decoded = decodeOnce(current);
    if (decoded === current) return false;
    current = decoded;
  }
}

/** A `.` or `..` segment between `/` or `\`, optionally followed by `;parameters`. */
const DOT_SEGMENT = /(?:^|[/\\])\.{1,2}(?:;[^/\\]*)?(?:[/\\]|$)/;

/** Undoes one layer of percent-encoding, leaving malformed escapes (`%zz`) as they are. */
function decodeOnce(text: string): string {
  return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
