import type { ErrorBody } from "@darklaunch/core";

/** A failed call, with what the server said (or that it could not be reached). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For VALIDATION_FAILED, every bad field with its path (`tolerances.errors`). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Calls the control plane's API with a token, in the same origin the page came from. */
export interface Api {
  request<T>(method: Method, path: string, body?: unknown, tag?: EntityTag): Promise<T>;
}

// --- Conditional reads (ETags): a poll sends the tag it last saw; 304 means "what you have is current".

/** The ETag a poll last saw for one read; `request` sends it as If-None-Match and stores the new one. */
export interface EntityTag {
  value: string | undefined;
}

/** Thrown by `request` on 304: the answer the caller holds (for the tag it sent) is still current. */
export class NotModified extends Error {
  constructor(readonly path: string) {
    super(`${path} has not changed`);
    this.name = "NotModified";
  }
}
// --- end of conditional reads

/** The sentence a person sees for a failed call: what failed, and what to do about it. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  if (error.status === 0) return `Cannot reach the darklaunch server: ${error.message}`;
  if (error.status === 401) return `The server refused this token: ${error.message}. Sign in again with a valid token.`;
  if (error.status === 403) return `This token may not do that: ${error.message}.`;
  return `${error.message} (${error.status} ${error.code})`;
}

export function createApi(token: string, fetchImpl: typeof fetch = fetch): Api {
  return {
    async request<T>(method: Method, path: string, body?: unknown, tag?: EntityTag): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      // A request with its own If-None-Match bypasses the browser's cache, so a 304 reaches us.
      if (tag?.value !== undefined) headers["if-none-match"] = tag.value;
      let response: Response;
      try {
        // no-cache: the browser revalidates with If-None-Match where the API sends an ETag.
        response = await fetchImpl(path, {
          method,
          headers,
          body: body === undefined ? null : JSON.stringify(body),
          cache: "no-cache",
        });
      } catch (error) {
        throw new ApiError(0, "NETWORK", (error as Error).message);
      }
      if (tag !== undefined && response.status === 304) throw new NotModified(path);
      if (tag !== undefined && response.ok) tag.value = response.headers.get("etag") ?? undefined;
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!response.ok) {
        const error = parsed as Partial<ErrorBody> | undefined;
        throw new ApiError(
          response.status,
          error?.code ?? "HTTP_ERROR",
          error?.message ?? `${method} ${path} answered ${response.status}`,
          error?.details,
        );
      }
      return parsed as T;
    },
  };
}

/** `/api/v1/flags/{key}/…` with the key encoded. */
export function flagPath(key: string, rest = ""): string {
  return `/api/v1/flags/${encodeURIComponent(key)}${rest}`;
}
