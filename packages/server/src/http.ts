import { formatPath, MAX_INPUT_DEPTH, type Problem, pathDeeperThan } from "@darklaunch/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { badField, badFields } from "./errors.js";

/** Validates a body, query or params object with a zod schema; a 400 names every bad field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw badFields(
    parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    what,
  );
}

/**
 * The version a write expects, from the body's `version` or an `If-Match` header (`"7"`, `W/"7"`
 * or `7`). Both may be sent, but must agree. Undefined means "whatever is current".
 */
export function expectedVersion(request: FastifyRequest, bodyVersion: number | undefined): number | undefined {
  const header = request.headers["if-match"];
  if (header === undefined || header === "*") return bodyVersion;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(String(header));
  if (!match) throw badField("If-Match", `must be a flag version such as "7", got ${JSON.stringify(header)}`);
  const fromHeader = Number(match[1]);
  if (bodyVersion !== undefined && bodyVersion !== fromHeader) {
    throw badField("version", `the body says version ${bodyVersion} but If-Match says ${fromHeader}`);
  }
  return fromHeader;
}

/** Sets the ETag of a versioned resource. */
export function withVersionTag(reply: FastifyReply, version: number): FastifyReply {
  return reply.header("etag", `"${version}"`);
}

/** True when `If-None-Match` (a list, possibly weak tags, or `*`) matches the tag: the client has it, answer 304. */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const tags = [header]
    .flat()
    .flatMap((h) => h.split(","))
    .map((t) => t.trim().replace(/^W\//, ""));
  return tags.includes("*") || tags.includes(etag);
}

/** The actor recorded in the audit log for this request. */
export function actorOf(request: FastifyRequest): string {
  return request.caller?.name ?? "anonymous";
}

/**
 * Postgres text cannot hold NUL characters (SQLite can). Refusing them in every request, before any
 * handler runs, keeps the two stores alike and turns what would be a 500 on Postgres into a 400.
 */
export const NUL_MESSAGE = "must not contain NUL (\\u0000) characters";

/**
 * A lone UTF-16 surrogate cannot be stored as UTF-8: Postgres and SQLite would rewrite it to U+FFFD,
 * so two different ids would merge. Refused like NUL.
 */
export const SURROGATE_MESSAGE = "must not contain a lone UTF-16 surrogate (\\uD800–\\uDFFF without its pair)";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string's problem for the store, if any. */
function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return undefined;
}

/**
 * Strings (and object keys) the store cannot hold as given, with their paths, at most `limit` of
 * them. It walks with its own stack, so it never overflows on deep input (which `depthProblem`
 * refuses first anyway).
 */
export function unstorableText(value: unknown, limit = 20): Problem[] {
  const found: Problem[] = [];
  // Each entry links to its parent instead of copying the path: a window's bins and reservoirs are
  // thousands of numbers per request, and a path is only needed for the rare problem found.
  const stack: Visit[] = [{ value, parent: undefined, key: undefined }];
  while (stack.length > 0 && found.length < limit) {
    const visit = stack.pop()!;
    const item = visit.value;
    if (typeof item === "string") {
      const message = textProblem(item);
      if (message) found.push({ path: formatPath(pathOf(visit)), message });
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) {
        const inner: unknown = item[i];
        if (mayHoldText(inner)) stack.push({ value: inner, parent: visit, key: i });
      }
    } else if (typeof item === "object" && item !== null) {
      const entries = Object.entries(item);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        const message = textProblem(key);
        if (message) found.push({ path: formatPath([...pathOf(visit), key]), message });
        if (mayHoldText(inner)) stack.push({ value: inner, parent: visit, key });
      }
    }
  }
  return found.slice(0, limit);
}

/** Numbers, booleans and null hold no text: only strings, objects and arrays are visited. */
function mayHoldText(value: unknown): boolean {
  return typeof value === "string" || (typeof value === "object" && value !== null);
}

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: PropertyKey | undefined;
}

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let v: Visit | undefined = visit; v?.parent !== undefined; v = v.parent) path.push(v.key as PropertyKey);
  return path.reverse();
}

/** The problem with input nested deeper than any request may be, naming the path, or undefined. */
export function depthProblem(value: unknown): Problem | undefined {
  const deep = pathDeeperThan(value, MAX_INPUT_DEPTH);
  if (deep === undefined) return undefined;
  return { path: formatPath(deep), message: `nested deeper than ${MAX_INPUT_DEPTH} objects or arrays; the limit is ${MAX_INPUT_DEPTH}` };
}

/** The longest path parameter the router matches (subjects travel in paths and may be 1 024 characters). */
export const MAX_PARAM_LENGTH = 2048;
