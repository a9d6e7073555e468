import { DarkLaunchError } from "@darklaunch/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { RateLimitedError } from "./auth/rate-limits.js";
import { isStoreUnavailable, StoreUnavailableError } from "./errors.js";

/** Fastify's own client errors, as darklaunch codes. */
const FASTIFY_CODES: Record<string, { code: string; status: number }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "BODY_TOO_LARGE", status: 413 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: "UNSUPPORTED_MEDIA_TYPE", status: 415 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "BAD_REQUEST", status: 400 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "INVALID_JSON", status: 400 },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "INVALID_JSON", status: 400 },
};

/**
 * Errors Fastify answers before any route or hook runs (a URL that does not decode, a path
 * parameter over the router's length limit), in the one error shape. Passed as Fastify's
 * `frameworkErrors` option.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === "FST_ERR_MAX_PARAM_LENGTH";
  reply.code(tooLong ? 414 : (error.statusCode ?? 400)).send({ code: tooLong ? "URI_TOO_LONG" : "BAD_REQUEST", message: error.message });
}

/**
 * The one place errors become responses: `{ code, message, details? }` with the error's status.
 * Unknown errors are logged and answered 500 without internals; store outages are 503.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DarkLaunchError | Error, request, reply) => {
    if (error instanceof RateLimitedError) reply.header("retry-after", String(error.retryAfterSeconds));
    if (error instanceof DarkLaunchError) return reply.code(error.status).send(error.toJSON());
    const fastifyCode = (error as FastifyError).code;
    const known = fastifyCode ? FASTIFY_CODES[fastifyCode] : undefined;
    if (known) return reply.code(known.status).send({ code: known.code, message: error.message });
    if (error instanceof SyntaxError || (error as FastifyError).statusCode === 400) {
      return reply.code(400).send({ code: "BAD_REQUEST", message: error.message });
    }
    if (isStoreUnavailable(error)) {
      request.log.error({ err: error, req: request }, "store unavailable");
      return reply.code(503).send(new StoreUnavailableError(error).toJSON());
    }
    request.log.error({ err: error, req: request }, "unhandled error");
    return reply.code(500).send({ code: "INTERNAL", message: "internal error; the server log has the details" });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: "NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );
}
