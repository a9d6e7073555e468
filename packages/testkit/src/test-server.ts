import { createServer, type DarkLaunchServer, type ServerOptions } from "@darklaunch/server";
import { afterAll, beforeAll } from "vitest";
import { STORE_FACTORIES, type TestStore } from "./test-stores.js";

export type TestScope = "admin" | "write" | "read" | "sdk";

export const ADMIN_SECRET = "dl_admin_test-secret-0123456789abcdef";

/** A server on a test store with one token per scope (`secrets.read`, `secrets.sdk` …). */
export interface TestServer {
  server: DarkLaunchServer;
  store: TestStore;
  secrets: Record<TestScope, string>;
  /** `app.inject` with a token of the given scope (admin by default) and a JSON body. */
  request(
    method: string,
    url: string,
    body?: unknown,
    options?: { scope?: TestScope | "none"; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are whatever JSON each test asserts on
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * Starts `createServer` on a test store, through the server's public API only: the tokens of the
 * other scopes are created with `POST /api/v1/tokens` (so the audit log holds their creation).
 * Nothing listens until the test calls `server.listen(0, "127.0.0.1")`.
 *
 * @example
 * const t = await startTestServer((await STORE_FACTORIES[0].create())!);
 * const url = await t.server.listen(0, "127.0.0.1");
 */
export async function startTestServer(store: TestStore, options: ServerOptions = {}): Promise<TestServer> {
  const server = await createServer({ ...store.options, adminToken: ADMIN_SECRET, ...options });
  const secrets = { admin: ADMIN_SECRET } as Record<TestScope, string>;
  const request: TestServer["request"] = async (method, url, body, { scope = "admin", headers = {} } = {}) => {
    const response = await server.app.inject({
      method: method as "GET",
      url,
      headers: {
        ...(scope === "none" ? {} : { authorization: `Bearer ${secrets[scope]}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      payload: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    let parsed: unknown = response.body;
    try {
      parsed = response.body === "" ? undefined : JSON.parse(response.body);
    } catch {
      // Not JSON (the docs page): keep the text.
    }
    return { status: response.statusCode, body: parsed, headers: response.headers };
  };
  for (const scope of ["write", "read", "sdk"] as const) {
    const created = await request("POST", "/api/v1/tokens", { name: `${scope}-token`, scope });
    if (created.status !== 201) throw new Error(`creating the ${scope} token failed (${created.status}): ${JSON.stringify(created.body)}`);
    secrets[scope] = created.body.secret;
  }
  return { server, store, secrets, request, close: () => server.close() };
}

/**
 * A listening server on a fresh SQLite store for a whole test file, and the backends the file
 * starts, all closed after it: the set-up every proxy end-to-end suite shares. `started` gets the
 * server and its base URL once it listens.
 *
 * @example
 * let t: TestServer; let url: string; const backends: TestBackend[] = [];
 * useListeningSqliteServer(backends, (server, base) => { t = server; url = base; });
 */
export function useListeningSqliteServer(backends: { close(): Promise<void> }[], started: (server: TestServer, url: string) => void): void {
  let t: TestServer | undefined;
  beforeAll(async () => {
    const store = await STORE_FACTORIES.find((f) => f.name === "sqlite")?.create();
    if (store === undefined) throw new Error("no SQLite store");
    t = await startTestServer(store);
    started(t, await t.server.listen(0, "127.0.0.1"));
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await t?.close();
    await t?.store.drop();
  });
}
