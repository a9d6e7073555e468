import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Db } from "../store/database.js";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

/** Every stored row except token bookkeeping that reads legitimately touch. */
async function dump(db: Db): Promise<string> {
  const tables = ["flags", "segments", "segment_ids", "overrides", "audit", "evaluations", "meta"] as const;
  const parts: unknown[] = [];
  for (const table of tables) parts.push(await db.selectFrom(table).selectAll().execute());
  parts.push(await db.selectFrom("tokens").select(["id", "name", "scope", "hash", "revoked_at"]).orderBy("id").execute());
  return JSON.stringify(parts, (_k, v) => (typeof v === "bigint" ? String(v) : v));
}

// Bodies that are almost right are the ones that find bugs: mutate a valid flag as well as
// sending arbitrary JSON.
const flagLike = fc.record(
  {
    key: fc.oneof(fc.constant("fuzzed"), fc.string({ maxLength: 12 }), fc.integer()),
    variants: fc.oneof(fc.constant({ on: true, off: false }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 })),
    offVariant: fc.oneof(fc.constant("off"), fc.string({ maxLength: 5 }), fc.constant(null)),
    fallthrough: fc.oneof(
      fc.constant({ variant: "off" }),
      fc.record({
        split: fc.array(
          fc.record({ variant: fc.constantFrom("on", "off", "x"), weight: fc.oneof(fc.double(), fc.integer({ min: -5, max: 105 })) }),
          { maxLength: 3 },
        ),
      }),
      fc.jsonValue(),
    ),
    rules: fc.oneof(fc.constant([]), fc.array(fc.jsonValue(), { maxLength: 2 })),
    version: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.string({ maxLength: 3 })),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.jsonValue(),
  flagLike,
  fc.string({ maxLength: 30 }),
  fc.record({ percentage: fc.oneof(fc.double(), fc.string()), version: fc.jsonValue() }, { requiredKeys: [] }),
);
const headers = fc.record(
  {
    "if-match": fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('"1"', 'W/"2"', "*", "999")),
    "content-type": fc.constantFrom(
      "application/json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=utf-8",
    ),
  },
  { requiredKeys: [] },
);

describe.each(STORE_FACTORIES)("bad input on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it("never answers 500 and never changes stored data on a 4xx, for any write route", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const server = t;
    const db = server.server.database.db;
    await server.request("POST", "/api/v1/flags", testFlag("fuzzed"));
    // Every write route the server has, with path parameters filled in.
    const writes = server.server.app.darklaunchRoutes
      // OFREP's POSTs evaluate rather than write, and answer in the protocol's own error shape (ofrep/).
      .filter((r) => ["POST", "PUT", "PATCH", "DELETE"].includes(r.method) && r.scope !== "public" && !r.url.startsWith("/ofrep/"))
      .map((r) => ({ method: r.method, url: r.url.replace(/:key/g, "fuzzed").replace(/:[a-z]+/gi, "u1") }));
    expect(writes.length).toBeGreaterThanOrEqual(7);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), body, headers, async (route, payload, extra) => {
        const before = await dump(db);
        const response = await server.server.app.inject({
          method: route.method as "POST",
          url: route.url,
          headers: { authorization: `Bearer ${server.secrets.admin}`, "content-type": "application/json", ...extra },
          payload: typeof payload === "string" ? payload : JSON.stringify(payload),
        });
        expect(response.statusCode, `${route.method} ${route.url} ${response.body}`).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect(await dump(db), `${route.method} ${route.url} → ${response.statusCode} changed data`).toBe(before);
          expect(JSON.parse(response.body)).toHaveProperty("code");
        }
      }),
      { numRuns: factory.name === "sqlite" ? 300 : 150 },
    );
  });
});
