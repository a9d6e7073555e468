import {
  DarkLaunchError,
  OfrepBulkResponseSchema,
  type OfrepErrorCode,
  OfrepErrorSchema,
  OfrepFailureSchema,
  OfrepRequestSchema,
  OfrepSuccessSchema,
} from "@darklaunch/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { RateLimitedError } from "../auth/rate-limits.js";
import type { ServerContext } from "../context.js";
import { etagMatches } from "../http.js";
import { contextProblems } from "../limits.js";
import { requestBody, response } from "../openapi.js";
import { bulkEtag, ofrepRecord, toOfrep } from "./ofrep-result.js";

const JSON_ERRORS = new Set(["FST_ERR_CTP_INVALID_JSON_BODY", "FST_ERR_CTP_EMPTY_JSON_BODY"]);

/**
 * Errors as OFREP answers them: 401 and 403 without a body (the spec gives them none), a body that
 * is not JSON is PARSE_ERROR, other bad input INVALID_CONTEXT, anything else a 500 with
 * `errorDetails`. Single-flag failures carry the flag's `key`, as `evaluationFailure` requires.
 */
function ofrepErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const key = (request.params as { key?: string } | undefined)?.key;
  const fail = (status: number, errorCode: OfrepErrorCode, errorDetails: string) =>
    reply.code(status).send(key === undefined ? { errorCode, errorDetails } : { key, errorCode, errorDetails });
  if (error instanceof DarkLaunchError) {
    if (error.status === 401 || error.status === 403) return reply.code(error.status).send();
    if (error.status === 400) return fail(400, "INVALID_CONTEXT", error.message);
    // OFREP's 429: `Retry-After` in the header, the reason in `errorDetails`.
    if (error instanceof RateLimitedError) {
      return reply.code(429).header("retry-after", String(error.retryAfterSeconds)).send({ errorDetails: error.message });
    }
  }
  const code = (error as FastifyError).code;
  if (error instanceof SyntaxError || (code !== undefined && JSON_ERRORS.has(code))) return fail(400, "PARSE_ERROR", error.message);
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ errorDetails: error.message });
  request.log.error({ err: error, req: request }, "OFREP evaluation failed");
  return reply.code(500).send({ errorDetails: "internal error; the server log has the details" });
}

/** The request's `context`: `{}` when absent, undefined when the body or the context is not an object. */
function contextOf(body: unknown): Record<string, unknown> | undefined {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) return undefined;
  const context = (body as { context?: unknown }).context;
  if (context === undefined || context === null) return {};
  if (typeof context !== "object" || Array.isArray(context)) return undefined;
  return context as Record<string, unknown>;
}

/** The context's size problems as one `errorDetails` text, or undefined when it is within the limits. */
function contextTooLarge(context: Record<string, unknown>): string | undefined {
  const problems = contextProblems(context, ["context"]);
  if (problems.length === 0) return undefined;
  return problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}

/** OFREP answers 401 and 403 without a body. */
const OFREP_AUTH_ANSWERS = response({ 401: "No token, or an unknown or revoked one", 403: "The token's scope does not allow this call" });

const NOT_AN_OBJECT = "the request body must be an object whose `context` is an object of attributes";

/**
 * OpenFeature Remote Evaluation Protocol (open-feature/protocol, docs/architecture.md#the-control-plane): any OFREP provider
 * can evaluate darklaunch flags over HTTP. Both calls evaluate on the cached compiled snapshot and
 * record in the log (source `ofrep`): every single evaluation, one sampled row per bulk call; the
 * bulk call answers 304 to a matching `If-None-Match`.
 *
 * @example
 * // POST /ofrep/v1/evaluate/flags/checkout  { "context": { "targetingKey": "u42" } }
 * // → 200 { "key": "checkout", "value": true, "variant": "on", "reason": "SPLIT", "metadata": { … } }
 */
export function ofrepRoutes(app: FastifyInstance, { rulesets, evaluations }: ServerContext): void {
  const tags = ["ofrep"];

  app.post(
    "/ofrep/v1/evaluate/flags/:key",
    {
      config: { scope: "sdk", rateClass: "evaluation" },
      errorHandler: ofrepErrorHandler,
      schema: {
        tags,
        summary: "OFREP: evaluate one flag for a context",
        body: requestBody(OfrepRequestSchema, "OfrepRequest"),
        response: {
          ...response({
            200: [OfrepSuccessSchema, "OfrepSuccess", "The flag evaluated (evaluationSuccess)"],
            400: [OfrepFailureSchema, "OfrepFailure", "Bad JSON or context, or the flag could not be evaluated (evaluationFailure)"],
            404: [OfrepFailureSchema, "OfrepFailure", "No flag has this key (flagNotFound)"],
            429: [OfrepErrorSchema, "OfrepError", "Too many calls for this token; Retry-After says when to retry"],
            500: [OfrepErrorSchema, "OfrepError", "An unexpected error"],
          }),
          ...OFREP_AUTH_ANSWERS,
        },
      },
    },
    async (request, reply) => {
      const { key } = request.params as { key: string };
      const context = contextOf(request.body);
      if (context === undefined) return reply.code(400).send({ key, errorCode: "INVALID_CONTEXT", errorDetails: NOT_AN_OBJECT });
      const tooLarge = contextTooLarge(context);
      if (tooLarge) return reply.code(400).send({ key, errorCode: "INVALID_CONTEXT", errorDetails: tooLarge });
      const { snapshot } = await rulesets.get();
      const flag = snapshot.flag(key);
      const result = snapshot.evaluate(key, context);
      // Unknown keys are not recorded: anyone with a token could otherwise fill the log with them.
      if (flag) await evaluations.record([ofrepRecord(result, context, flag.bucketBy, new Date().toISOString())]);
      const body = toOfrep(result);
      if ("errorCode" in body) return reply.code(body.errorCode === "FLAG_NOT_FOUND" ? 404 : 400).send(body);
      return body;
    },
  );

  app.post(
    "/ofrep/v1/evaluate/flags",
    {
      config: { scope: "sdk", rateClass: "evaluation" },
      errorHandler: ofrepErrorHandler,
      schema: {
        tags,
        summary: "OFREP: evaluate every flag for a context (ETag, If-None-Match → 304)",
        body: requestBody(OfrepRequestSchema, "OfrepRequest"),
        response: {
          ...response({
            200: [OfrepBulkResponseSchema, "OfrepBulkResponse", "Every flag evaluated, with an ETag"],
            304: "Not modified: If-None-Match names the ETag of these results",
            400: [OfrepErrorSchema, "OfrepError", "Bad JSON or context"],
            429: [OfrepErrorSchema, "OfrepError", "Too many calls for this token; Retry-After says when to retry"],
            500: [OfrepErrorSchema, "OfrepError", "An unexpected error"],
          }),
          ...OFREP_AUTH_ANSWERS,
        },
      },
    },
    async (request, reply) => {
      const context = contextOf(request.body);
      if (context === undefined) return reply.code(400).send({ errorCode: "INVALID_CONTEXT", errorDetails: NOT_AN_OBJECT });
      const tooLarge = contextTooLarge(context);
      if (tooLarge) return reply.code(400).send({ errorCode: "INVALID_CONTEXT", errorDetails: tooLarge });
      const { revision, snapshot } = await rulesets.get();
      const results = snapshot.evaluateAll(context);
      const etag = bulkEtag(revision, context, results);
      reply.header("etag", etag);
      // A 304 serves nothing new, so it records nothing: the client keeps what it was last given.
      if (etagMatches(request.headers["if-none-match"], etag)) return reply.code(304).send();
      const at = new Date().toISOString();
      // One row per call, for a flag drawn at random: a bulk call evaluates every flag, and a row per
      // flag let one call write hundreds. Over many calls the log still samples every flag.
      const sampled = results[Math.floor(Math.random() * results.length)];
      if (sampled) await evaluations.record([ofrepRecord(sampled, context, snapshot.flag(sampled.flagKey)?.bucketBy ?? "id", at)]);
      return { flags: results.map(toOfrep) };
    },
  );
}
