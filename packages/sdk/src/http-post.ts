import { SdkError, type SdkErrorCode } from "./errors.js";

/** How the client reaches one of the server's ingest endpoints (telemetry, observations). */
export interface PostTarget {
  fetch: typeof fetch;
  /** The server's base URL, without a trailing slash. */
  url: string;
  token: string;
}

/**
 * POSTs a JSON body with the SDK token. Resolves on a 2xx with the answer's JSON body (undefined
 * when it has none or it is not JSON); otherwise throws an `SdkError` with
 * `code` whose `status` is the HTTP status, or 0 when there was no answer (network error, timeout),
 * so that a caller can tell a retryable failure from a refusal.
 */
export async function postJson(
  target: PostTarget,
  path: string,
  body: unknown,
  code: SdkErrorCode,
  signal: AbortSignal = AbortSignal.timeout(10_000),
): Promise<unknown> {
  let response: Response;
  try {
    response = await target.fetch(`${target.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    throw new SdkError(code, `cannot POST ${path} to ${target.url}: ${(error as Error).message}`);
  }
  if (response.status >= 300) {
    await response.body?.cancel().catch(() => {});
    throw new SdkError(code, `POST ${path} answered HTTP ${response.status}`, response.status);
  }
  if (!(response.headers.get("content-type") ?? "").includes("json")) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  // The request succeeded: an answer that cannot be read changes nothing about that.
  return response.json().catch(() => undefined);
}

/** True for a failure worth retrying later: no answer, a 5xx, or 429. */
export function isRetryable(error: unknown): boolean {
  const status = error instanceof SdkError ? error.status : 0;
  return status === 0 || status === 429 || status >= 500;
}

/** The counters a window sender keeps of its failed posts (`ObservationReporter`, `MetricTracker`). */
export interface PostFailures {
  failedPosts: number;
  rejectedWindows: number;
}

/**
 * Handles a post of `count` windows that failed: counted in `stats`; true when the failure is a
 * passing one (`isRetryable`) and the caller keeps the windows for the next flush; false when the
 * server refused them: they are dropped, counted as rejected and reported (sending them again
 * would be refused again).
 */
export function postFailed(
  error: unknown,
  count: number,
  what: string,
  code: SdkErrorCode,
  stats: PostFailures,
  report: (error: SdkError) => void,
): boolean {
  stats.failedPosts++;
  if (isRetryable(error)) return true;
  stats.rejectedWindows += count;
  const cause = error instanceof SdkError ? error : new SdkError(code, String(error));
  report(new SdkError(code, `${count} ${what} windows were refused and dropped: ${cause.message}`, cause.status));
  return false;
}
