import { REDACTED } from "@darklaunch/core";
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
 * Query parameter names that carry secrets by their name alone (`token`, `api_key`, `password`,
 * `client_secret`, `signature`, `session_id` …); the proxy hides the same names in its samples.
 */
const SECRET_NAME = /token|secret|passw(?:or)?d|^pwd$|api[-_.]?key|(?:^|[-_.])key$|auth(?!or)|signature|^sig$|session|credential|jwt/i;

/**
 * The URL as logged: values of secret-named query parameters replaced by REDACTED.
 *
 * @example
 * loggedUrl("/api/v1/flags?token=abc&tag=x"); // "/api/v1/flags?token=[REDACTED]&tag=x"
 */
export function loggedUrl(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  const pairs = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && SECRET_NAME.test(decodeName(name)) ? `${name}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${pairs.join("&")}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

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
