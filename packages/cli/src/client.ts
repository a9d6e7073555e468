import { CliError } from "./errors.js";

/** An error answer of the API: `{ code, message, details? }` with its HTTP status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    details: { path: string; message: string }[] = [],
    readonly raw?: unknown,
  ) {
    super(message, 1, details);
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Sent as `If-Match`: the version this write expects. */
  version?: number;
  /** Statuses answered without throwing (their body is returned), e.g. 404 when probing. */
  allow?: number[];
}

export interface Response<T> {
  status: number;
  body: T;
}

function problemsOf(details: unknown): { path: string; message: string }[] {
  if (!Array.isArray(details)) return [];
  return details
    .filter((d): d is { path?: unknown; message: unknown } => typeof d === "object" && d !== null && "message" in d)
    .map((d) => ({ path: typeof d.path === "string" ? d.path : "", message: String(d.message) }));
}

/**
 * A small client of the darklaunch REST API over the global fetch. Every error becomes an ApiError
 * carrying the server's message and field paths, or a CliError naming the URL it could not reach.
 *
 * @example
 * const api = new ApiClient("http://127.0.0.1:4700", process.env.DARKLAUNCH_TOKEN);
 * const { flags } = await api.get<{ flags: unknown[] }>("/api/v1/flags");
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Response<T>> {
    const url = new URL(path, this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.version !== undefined) headers["if-match"] = `"${options.version}"`;
    let response: globalThis.Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CliError(
        `cannot reach the darklaunch server at ${this.baseUrl} (${why}); is it running? Start one with \`darklaunch serve\`, or point --url / DARKLAUNCH_URL at it`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    if (response.ok || options.allow?.includes(response.status)) return { status: response.status, body: body as T };
    const problem = (typeof body === "object" && body !== null ? body : {}) as { code?: unknown; message?: unknown; details?: unknown };
    const message =
      typeof problem.message === "string"
        ? problem.message
        : `${method} ${url.pathname} answered ${response.status} ${response.statusText}${typeof body === "string" && body !== "" ? `: ${body.slice(0, 200)}` : ""}`;
    throw new ApiError(
      response.status,
      typeof problem.code === "string" ? problem.code : `HTTP_${response.status}`,
      message,
      problemsOf(problem.details),
      body,
    );
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.request<T>("GET", path, { query })).body;
  }

  async send<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown, version?: number): Promise<T> {
    return (await this.request<T>(method, path, { body, version })).body;
  }
}

/** `/api/v1/flags/checkout-v2`: every segment encoded. */
export function apiPath(...segments: string[]): string {
  return `/api/v1/${segments.map(encodeURIComponent).join("/")}`;
}
