import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { etagMatches } from "./http.js";

/**
 * An `onSend` hook for list and summary reads: a weak ETag from a hash of the answer's bytes, and 304
 * with no body when `If-None-Match` names it. A dashboard polling every few seconds then moves no
 * body while nothing changed. Hashing the sent text (not a revision) covers answers built from
 * several tables and from observations, which have no single revision.
 */
export async function listEtag(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode !== 200 || (typeof payload !== "string" && !Buffer.isBuffer(payload))) return payload;
  const etag = `W/"${createHash("sha1").update(payload).digest("base64url")}"`;
  reply.header("etag", etag).header("cache-control", "private, no-cache");
  if (!etagMatches(request.headers["if-none-match"], etag.slice(2))) return payload;
  reply.code(304).removeHeader("content-type").removeHeader("content-length");
  return "";
}

/** The 304 answer of a route with `listEtag`, for its OpenAPI responses. */
export const NOT_MODIFIED = "Not modified: If-None-Match names the answer's current ETag";
