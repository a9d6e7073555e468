import { connectTestPostgres } from "@darklaunch/testkit";
import fc from "fast-check";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { position, positionSql } from "./position.js";

// docs/architecture.md#position-deterministic-bucketing: operators reproduce positions in SQL. This runs the formula on a real Postgres.
describe("position in Postgres SQL", () => {
  let client: pg.Client | undefined;
  const subjects = [
    ...fc.sample(fc.uuid(), { numRuns: 4_000, seed: 1 }),
    ...fc.sample(fc.stringMatching(/^[a-z]{1,6}-[0-9]{1,8}$/), { numRuns: 4_000, seed: 2 }),
    // Non-ASCII and long subjects: Postgres hashes the UTF-8 bytes of text in a UTF8 database.
    ...fc.sample(fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), { numRuns: 1_000, seed: 3 }),
    ...fc.sample(fc.string({ minLength: 60, maxLength: 200 }), { numRuns: 1_000, seed: 4 }),
  ].filter((s) => !s.includes("\u0000"));

  beforeAll(async () => {
    client = await connectTestPostgres();
  });
  afterAll(async () => {
    await client?.end();
  });

  it("the database hashes text as UTF-8", async (ctx) => {
    if (!client) return ctx.skip("no Postgres");
    const { rows } = await client.query<{ server_encoding: string }>("SHOW server_encoding");
    expect(rows[0]?.server_encoding).toBe("UTF8");
  });

  it.for(["checkout-v2", "", "shared-salt", "ünïcode-sält"])(
    "equals the TypeScript position for 10 000 subjects (salt %j)",
    async (salt, ctx) => {
      if (!client) return ctx.skip("no Postgres");
      expect(subjects.length).toBeGreaterThanOrEqual(10_000);
      const sql = `SELECT s AS subject, ${positionSql("$1::text", "s")} AS position FROM unnest($2::text[]) AS s`;
      const { rows } = await client.query<{ subject: string; position: string }>(sql, [salt, subjects]);
      expect(rows).toHaveLength(subjects.length);
      const wrong = rows.filter((row) => Number(row.position) !== position(row.subject, salt));
      expect(wrong.slice(0, 5)).toEqual([]);
    },
  );

  it("shows why ::int is wrong: it is signed, so about half of all subjects get a negative position", async (ctx) => {
    if (!client) return ctx.skip("no Postgres");
    const salt = "checkout-v2";
    const signed = `(('x' || substr(md5($1::text || ':' || s), 1, 8))::bit(32)::int % 10000) / 100.0`;
    const { rows } = await client.query<{ subject: string; position: string }>(
      `SELECT s AS subject, ${signed} AS position FROM unnest($2::text[]) AS s`,
      [salt, subjects],
    );
    const negative = rows.filter((row) => Number(row.position) < 0);
    // A hash's top bit is set half the time.
    expect(negative.length / rows.length).toBeGreaterThan(0.45);
    expect(negative.length / rows.length).toBeLessThan(0.55);
    // Those subjects would sit inside even a 0.01 % launch, while the true position excludes most of them.
    const wronglyIncluded = negative.filter((row) => position(row.subject, salt) >= 0.01);
    expect(wronglyIncluded.length).toBeGreaterThan(negative.length * 0.99);
  });
});
