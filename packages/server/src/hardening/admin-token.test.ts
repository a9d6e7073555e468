import { describe, expect, it } from "vitest";
import { createServer } from "../server.js";
import { STORE_FACTORIES } from "../test-support.js";

const FIRST = "dl_admin_first-0123456789abcdefghijkl";
const SECOND = "dl_admin_second-0123456789abcdefghijk";

describe.each(STORE_FACTORIES)("DARKLAUNCH_ADMIN_TOKEN on $name", (factory) => {
  it("refuses short or repetitive secrets", async (ctx) => {
    const store = await factory.create();
    if (!store) return ctx.skip("no Postgres");
    try {
      await expect(createServer({ ...store.options, adminToken: "a".repeat(16) })).rejects.toThrow(/at least 32 characters \(got 16\)/);
      await expect(createServer({ ...store.options, adminToken: "a".repeat(40) })).rejects.toThrow(
        /at least 8 different characters \(got 1\)/,
      );
    } finally {
      await store.drop();
    }
  });

  it("revokes the previous environment admin token when it changes, audited as system", async (ctx) => {
    const store = await factory.create();
    if (!store) return ctx.skip("no Postgres");
    try {
      const first = await createServer({ ...store.options, adminToken: FIRST });
      await first.close();
      const second = await createServer({ ...store.options, adminToken: SECOND });
      try {
        const as = (secret: string) =>
          second.app.inject({ method: "GET", url: "/api/v1/tokens", headers: { authorization: `Bearer ${secret}` } });
        expect((await as(SECOND)).statusCode).toBe(200);
        const old = await as(FIRST);
        expect(old.statusCode).toBe(401);
        expect(old.json().message).toMatch(/was revoked/);
        const audit = (await (
          await second.app.inject({ method: "GET", url: "/api/v1/audit", headers: { authorization: `Bearer ${SECOND}` } })
        ).json()) as {
          entries: { actor: string; action: string }[];
        };
        expect(audit.entries.filter((e) => e.action === "token.revoke").map((e) => e.actor)).toEqual(["system"]);
      } finally {
        await second.close();
      }
      // Restarting with the same secret changes nothing.
      const again = await createServer({ ...store.options, adminToken: SECOND });
      const ok = await again.app.inject({ method: "GET", url: "/api/v1/flags", headers: { authorization: `Bearer ${SECOND}` } });
      expect(ok.statusCode).toBe(200);
      await again.close();
    } finally {
      await store.drop();
    }
  });
});
