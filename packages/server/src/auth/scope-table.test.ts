import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";

/**
 * Route × scope → allowed? Written out by hand, not derived from the code under test: a route added
 * without a line here fails the completeness test, and a route whose guard changes fails its rows.
 */
const TABLE: Record<string, "public" | "read" | "write" | "admin" | "sdk"> = {
  "GET /healthz": "public",
  "GET /readyz": "public",
  "GET /api/v1/flags": "read",
  "GET /api/v1/flags/:key": "read",
  "POST /api/v1/flags": "write",
  "PUT /api/v1/flags/:key": "write",
  "PATCH /api/v1/flags/:key": "write",
  "PUT /api/v1/flags/:key/launch": "write",
  "POST /api/v1/flags/:key/archive": "write",
  "POST /api/v1/flags/:key/unarchive": "write",
  "DELETE /api/v1/flags/:key": "write",
  "POST /api/v1/flags/:key/check": "read",
  "POST /api/v1/flags/:key/evaluate": "read",
  "GET /api/v1/flags/:key/audit": "read",
  "GET /api/v1/flags/:key/overrides": "read",
  "PUT /api/v1/flags/:key/overrides/:subject": "write",
  "DELETE /api/v1/flags/:key/overrides/:subject": "write",
  "GET /api/v1/segments": "read",
  "GET /api/v1/segments/:key": "read",
  "GET /api/v1/segments/:key/ids": "read",
  "POST /api/v1/segments": "write",
  "PUT /api/v1/segments/:key": "write",
  "POST /api/v1/segments/:key/ids": "write",
  "DELETE /api/v1/segments/:key": "write",
  "GET /api/v1/tokens": "admin",
  "POST /api/v1/tokens": "admin",
  "DELETE /api/v1/tokens/:id": "admin",
  "GET /api/v1/audit": "read",
  "GET /api/v1/evaluations": "read",
  "GET /api/v1/evaluations/stats": "read",
  "POST /ofrep/v1/evaluate/flags/:key": "sdk",
  "POST /ofrep/v1/evaluate/flags": "sdk",
  "POST /api/v1/sdk/telemetry": "sdk",
  "GET /api/v1/sdk/snapshot": "sdk",
  "GET /api/v1/sdk/stream": "sdk",
  "POST /api/v1/observations": "sdk",
  "GET /api/v1/flags/:key/observations": "read",
  "GET /api/v1/flags/:key/mismatches": "read",
  "POST /api/v1/alerts/destinations": "write",
  "GET /api/v1/alerts/destinations": "read",
  "DELETE /api/v1/alerts/destinations/:id": "write",
  "POST /api/v1/alerts/destinations/:id/test": "write",
  "GET /api/v1/alerts/deliveries": "read",
  "GET /api/v1/whoami": "read",
  "GET /": "public",
  "GET /*": "public",
  "POST /api/v1/flags/:key/ramp": "write",
  "GET /api/v1/flags/:key/ramp": "read",
  "GET /api/v1/flags/:key/ramp/verdicts": "read",
  "POST /api/v1/flags/:key/ramp/:action": "write",
  "GET /api/v1/ramps": "read",
  "GET /api/v1/flags/:key/verdict": "read",
  "POST /api/v1/flags/:key/verdict/gate": "read",
  "GET /api/v1/flags/:key/analysis": "read",
  "GET /api/v1/flags/:key/judge": "read",
  "PUT /api/v1/flags/:key/judge": "write",
  "DELETE /api/v1/flags/:key/judge": "write",
  "GET /api/v1/flags/:key/metrics": "read",
  "POST /api/v1/flags/:key/metrics": "write",
  "DELETE /api/v1/flags/:key/metrics/:metric": "write",
  "GET /api/v1/sdk/metrics": "sdk",
  "POST /api/v1/sdk/metrics": "sdk",
  "POST /api/v1/events": "sdk",
  "GET /metrics": "read",
};

/** Which token scopes may call a route that needs `needed` (docs/architecture.md#the-control-plane), spelled out. */
const ALLOWED: Record<string, readonly string[]> = {
  public: ["none", "sdk", "read", "write", "admin"],
  read: ["read", "write", "admin"],
  write: ["write", "admin"],
  admin: ["admin"],
  sdk: ["sdk", "admin"],
};

const CALLERS = ["none", "sdk", "read", "write", "admin"] as const;

const rows = Object.entries(TABLE).flatMap(([route, needed]) =>
  CALLERS.map((caller) => ({ route, needed, caller, allowed: ALLOWED[needed]!.includes(caller) })),
);

describe.each(STORE_FACTORIES)("scopes on $name", (factory) => {
  let t: TestServer | undefined;
  beforeAll(async () => {
    const store = await factory.create();
    if (!store) return;
    t = await startTestServer(store);
    await t.request("POST", "/api/v1/flags", testFlag("scoped"));
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  it("the table names every route the server has, and no other", (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const routes = t.server.app.darklaunchRoutes
      .filter((r) => r.method !== "HEAD" && !r.url.startsWith("/api/docs"))
      .map((r) => `${r.method} ${r.url}`);
    expect(routes.sort()).toEqual(Object.keys(TABLE).sort());
  });

  it.for(rows)("$route with a $caller token → allowed: $allowed", async ({ route, caller, allowed }, ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const [method, path] = route.split(" ") as [string, string];
    const url = path.replace(":key", "scoped").replace(":subject", "u1").replace(":id", "tok_missing");
    const body = ["POST", "PUT", "PATCH"].includes(method) ? {} : undefined;
    // An admitted stream never ends, so inject() would wait forever: sdk/sdk-api.test.ts connects to it.
    if (allowed && path === "/api/v1/sdk/stream") return;
    const response = await t.request(method, url, body, { scope: caller });
    if (allowed) {
      expect([401, 403], `${route} as ${caller}: ${JSON.stringify(response.body)}`).not.toContain(response.status);
    } else {
      expect(response.status).toBe(caller === "none" ? 401 : 403);
      // OFREP gives 401 and 403 no body; everything else says why in JSON.
      if (path.startsWith("/ofrep/")) expect(response.body).toBeUndefined();
      else expect(response.body.code).toBe(caller === "none" ? "UNAUTHORIZED" : "FORBIDDEN");
    }
  });
});
