import { ADMIN_SECRET, releaseFlag, type STORE_FACTORIES, type TestServer, type TestStore } from "@darklaunch/testkit";
import { afterAll, beforeAll } from "vitest";
import type { Scope } from "./auth/scopes.js";
import { createServer, type ServerOptions } from "./server.js";
import { kyselyStores } from "./store/kysely-stores.js";
import { newToken } from "./tokens/token-service.js";

// The store factories are shared with other packages' tests; the server's own suites use them here.
// One test server shape for every package: the server's own starter differs only in how it makes tokens.
export { ADMIN_SECRET, STORE_FACTORIES, type TestServer, type TestStore } from "@darklaunch/testkit";

export async function startTestServer(store: TestStore, options: ServerOptions = {}): Promise<TestServer> {
  const server = await createServer({ ...store.options, adminToken: ADMIN_SECRET, ...options });
  const secrets = { admin: ADMIN_SECRET } as Record<Scope, string>;
  // Written straight to the store, without audit entries: tests count the audit log.
  const tokens = kyselyStores(server.database.db, server.database.dialect).tokens;
  for (const scope of ["write", "read", "sdk"] as const) {
    const created = newToken(`${scope}-token`, scope);
    await tokens.insert(created.token);
    secrets[scope] = created.secret;
  }
  return {
    server,
    store,
    secrets,
    async request(method, url, body, { scope = "admin", headers = {} } = {}) {
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
      const text = response.body;
      let parsed: unknown = text;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        // Not JSON (the docs page): keep the text.
      }
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async close() {
      await server.close();
    },
  };
}

/** A minimal valid boolean flag (10 % on); spread overrides over it. */
export function testFlag(key: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return releaseFlag(key, 10, overrides);
}

/**
 * Registers a suite's server on a fresh store of `factory`: created before the suite's tests,
 * closed and dropped after them. `use` receives it (or nothing, when Postgres is absent off CI).
 */
export function useTestServer(
  factory: (typeof STORE_FACTORIES)[number],
  use: (server: TestServer | undefined) => void | Promise<void>,
  options: ServerOptions = {},
): void {
  let server: TestServer | undefined;
  beforeAll(async () => {
    const store = await factory.create();
    if (store) server = await startTestServer(store, options);
    await use(server);
  });
  afterAll(async () => {
    await server?.close();
    await server?.store.drop();
  });
}

interface RulesetLike {
  flags?: unknown[];
  segments?: unknown[];
  overrides?: unknown[];
}

/**
 * Creates a ruleset (as the fixtures and `darklaunch export` carry it) through the API: segments,
 * then flags with prerequisites first, then overrides. Throws naming the first write refused.
 */
export async function provisionRuleset(t: TestServer, ruleset: RulesetLike): Promise<void> {
  const ensure = (what: string, response: { status: number; body: unknown }) => {
    if (response.status >= 300) throw new Error(`${what} was refused (${response.status}): ${JSON.stringify(response.body)}`);
  };
  for (const segment of ruleset.segments ?? []) ensure("segment", await t.request("POST", "/api/v1/segments", segment));
  const flags = (ruleset.flags ?? []) as { key: string; prerequisites?: { flag: string }[] }[];
  const byKey = new Map(flags.map((f) => [f.key, f]));
  const created = new Set<string>();
  const create = async (flag: (typeof flags)[number]): Promise<void> => {
    if (created.has(flag.key)) return;
    created.add(flag.key);
    for (const p of flag.prerequisites ?? []) {
      const required = byKey.get(p.flag);
      if (required) await create(required);
    }
    ensure(`flag ${flag.key}`, await t.request("POST", "/api/v1/flags", flag));
  };
  for (const flag of flags) await create(flag);
  for (const override of (ruleset.overrides ?? []) as { flag: string; subject: string }[]) {
    const { flag, subject, ...body } = override;
    ensure(
      `override ${flag}/${subject}`,
      await t.request("PUT", `/api/v1/flags/${flag}/overrides/${encodeURIComponent(subject)}`, { source: "pinned", ...body }),
    );
  }
}
