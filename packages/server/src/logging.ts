import { hideSecretQuery, REDACTED } from "@darklaunch/core";
import type { FastifyRequest, FastifyServerOptions } from "fastify";

/** Where log lines go (a pino destination); standard output by default. */
export interface LogDestination {
  write(line: string): void;
}

export interface LoggingOptions {
  /** Also log every request and its answer (`darklaunch serve --log`). Errors are always logged. */
  accessLog?: boolean;
  /** Tests pass a stream to read the lines back. */
  destination?: LogDestination;
}

/**
 * The URL as logged: values of secret-named query parameters replaced by REDACTED (the same names
 * the proxy hides in its samples: core's `hideSecretQuery`).
 *
 * @example
 * loggedUrl("/api/v1/flags?token=abc&tag=x"); // "/api/v1/flags?token=[REDACTED]&tag=x"
 */
export const loggedUrl = hideSecretQuery;

/**
 * Fastify's logger (pino, one JSON object a line) as the server runs it: errors always — a 500 with
 * its stack — and requests only with `accessLog`. Requests are logged as method, URL (secret query
 * values hidden) and address: never headers, so never a token or a cookie; should anything log
 * headers anyway, `authorization`, `cookie` and `set-cookie` are censored.
 *
 * @example
 * createServer({ logger: serverLogger({ accessLog: true }) });
 */
export function serverLogger(options: LoggingOptions = {}): NonNullable<FastifyServerOptions["logger"]> {
  return {
    level: options.accessLog ? "info" : "warn",
    ...(options.destination ? { stream: options.destination } : {}),
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "req.headers['proxy-authorization']",
        "res.headers['set-cookie']",
        "headers.authorization",
        "headers.cookie",
      ],
      censor: REDACTED,
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: loggedUrl(request.url),
        remoteAddress: request.ip,
      }),
    },
  };
}
