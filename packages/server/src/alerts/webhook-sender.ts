import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isPrivateLiteral, publicOnlyLookup } from "./webhook-target.js";

/** One HTTP attempt's outcome; `retry` says whether another attempt could succeed. */
export interface AttemptOutcome {
  ok: boolean;
  retry: boolean;
  statusCode: number | null;
  error: string | null;
}

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

/** Answers worth retrying: the receiver was down, overloaded or slow; other 4xx will not change. */
function retryable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/**
 * POSTs one webhook and never throws. Redirects are not followed (a redirect could lead to an
 * address the checks refuse); the answer body is read and dropped; the whole attempt, connect
 * included, is bounded by `timeoutMs` through an AbortSignal.
 */
export function sendWebhook(request: WebhookRequest, options: SendOptions): Promise<AttemptOutcome> {
  const url = new URL(request.url);
  if (!options.allowPrivate && isPrivateLiteral(request.url)) {
    return Promise.resolve({ ok: false, retry: false, statusCode: null, error: `${url.hostname} is a private address; refused` });
  }
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const fail = (error: Error & { code?: string }) => {
      const timedOut = error.name === "AbortError" || error.name === "TimeoutError";
      const refused = error.code === "EPRIVATETARGET";
      done({
        ok: false,
        retry: !refused,
        statusCode: null,
        error: timedOut ? `no answer within ${options.timeoutMs} ms` : `${error.code ? `${error.code}: ` : ""}${error.message}`,
      });
    };
    const outgoing = send(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "darklaunch-webhooks/1", ...request.headers },
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        response.on("error", fail);
        response.on("end", () => {
          if (status >= 200 && status < 300) done({ ok: true, retry: false, statusCode: status, error: null });
          else if (status >= 300 && status < 400)
            done({ ok: false, retry: false, statusCode: status, error: `answered a redirect (${status}); redirects are not followed` });
          else done({ ok: false, retry: retryable(status), statusCode: status, error: `answered ${status}` });
        });
        response.resume();
      },
    );
    outgoing.on("error", fail);
    outgoing.end(request.body);
  });
}
