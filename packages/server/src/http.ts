import { formatPath } from "@darklaunch/core";
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

/** Paths of strings (and object keys) that hold a NUL character, at most `limit` of them. */
export function nulPaths(value: unknown, limit = 20, path: PropertyKey[] = [], found: string[] = []): string[] {
  if (found.length >= limit) return found;
  if (typeof value === "string") {
    if (value.includes("\u0000")) found.push(formatPath(path));
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length && found.length < limit; i++) nulPaths(value[i], limit, [...path, i], found);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes("\u0000")) found.push(formatPath([...path, key]));
      nulPaths(inner, limit, [...path, key], found);
    }
  }
  return found;
}
