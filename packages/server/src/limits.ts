import { formatPath, type Problem } from "@darklaunch/core";

/**
 * Limits on what one request may make the server evaluate, store or hold. Each turns input that
 * could bloat the store or the memory of every replica into a 400 naming the field. The README's
 * "Limits" table lists them; change both together.
 */

/** Characters in a subject or in any attribute string, as for override subjects and segment ids. */
export const MAX_TEXT_LENGTH = 1024;
/** Ids in one segment. */
export const MAX_SEGMENT_IDS = 200_000;
/** Characters of all segments' ids together, the bulk of every SDK snapshot (16 Mi). */
export const MAX_SNAPSHOT_ID_CHARACTERS = 16 * 1024 * 1024;
/** Bytes of one variant value as JSON (64 KiB). */
export const MAX_VARIANT_BYTES = 64 * 1024;
/** Attributes in one evaluation context. */
export const MAX_CONTEXT_ATTRIBUTES = 100;
/** Items in one attribute's array value. */
export const MAX_ATTRIBUTE_ITEMS = 100;

/**
 * Problems of an evaluation context (evaluate, check, OFREP): too many attributes, a key or a string
 * (the subject included) longer than `MAX_TEXT_LENGTH`, an array longer than `MAX_ATTRIBUTE_ITEMS`.
 * Depth is already bounded for every body. At most 20 problems.
 *
 * @example
 * contextProblems({ id: "x".repeat(2000) }, ["context"]); // [{ path: "context.id", message: "…at most 1024…" }]
 */
export function contextProblems(context: unknown, prefix: readonly PropertyKey[]): Problem[] {
  if (typeof context !== "object" || context === null || Array.isArray(context)) return [];
  const problems: Problem[] = [];
  const keys = Object.keys(context);
  if (keys.length > MAX_CONTEXT_ATTRIBUTES) {
    problems.push({ path: formatPath(prefix), message: `at most ${MAX_CONTEXT_ATTRIBUTES} attributes, got ${keys.length}` });
  }
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: context, path: [...prefix] }];
  while (stack.length > 0 && problems.length < 20) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      if (value.length > MAX_TEXT_LENGTH) problems.push({ path: formatPath(path), message: textMessage(value.length) });
    } else if (Array.isArray(value)) {
      if (value.length > MAX_ATTRIBUTE_ITEMS) {
        problems.push({ path: formatPath(path), message: `at most ${MAX_ATTRIBUTE_ITEMS} items, got ${value.length}` });
      } else {
        for (let i = 0; i < value.length; i++) stack.push({ value: value[i], path: [...path, i] });
      }
    } else if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key.length > MAX_TEXT_LENGTH)
          problems.push({ path: formatPath([...path, key.slice(0, 32)]), message: `key ${textMessage(key.length)}` });
        else stack.push({ value: inner, path: [...path, key] });
      }
    }
  }
  return problems;
}

/** Problems of subjects sent as a list (`check`'s `ids`). */
export function subjectProblems(ids: readonly string[], prefix: readonly PropertyKey[]): Problem[] {
  const problems: Problem[] = [];
  for (let i = 0; i < ids.length && problems.length < 20; i++) {
    if (ids[i]!.length > MAX_TEXT_LENGTH) problems.push({ path: formatPath([...prefix, i]), message: textMessage(ids[i]!.length) });
  }
  return problems;
}

function textMessage(length: number): string {
  return `must be at most ${MAX_TEXT_LENGTH} characters, got ${length}`;
}

/**
 * Problems of variant values too large to send to every SDK, measured as UTF-8 JSON.
 *
 * @example
 * variantSizeProblems({ variants: { big: "x".repeat(70_000) } }); // [{ path: "variants.big", … }]
 */
export function variantSizeProblems(flag: unknown): Problem[] {
  if (typeof flag !== "object" || flag === null) return [];
  const variants = (flag as { variants?: unknown }).variants;
  if (typeof variants !== "object" || variants === null || Array.isArray(variants)) return [];
  const problems: Problem[] = [];
  for (const [name, value] of Object.entries(variants)) {
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? "");
    if (bytes > MAX_VARIANT_BYTES) {
      problems.push({
        path: formatPath(["variants", name]),
        message: `is ${bytes} bytes as JSON; a variant value is at most ${MAX_VARIANT_BYTES} bytes (64 KiB)`,
      });
    }
  }
  return problems;
}
