import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoreOptions } from "@darklaunch/server";
import pg from "pg";
import { connectTestPostgres, TEST_DATABASE_URL } from "./test-postgres.js";

/** A store for one test suite, and how to throw it away. */
export interface TestStore {
  name: "sqlite" | "postgres";
  options: StoreOptions;
  drop(): Promise<void>;
}

/** Makes a fresh store of one kind; undefined when Postgres is absent off CI (the suite skips). */
export interface StoreFactory {
  name: TestStore["name"];
  create(): Promise<TestStore | undefined>;
}

/**
 * Every store suite runs over each of these (Kysely's DIALECTS loop): a fresh SQLite file and a
 * fresh Postgres database. Under CI=true an unreachable Postgres fails the suite instead of skipping.
 *
 * @example
 * describe.each(STORE_FACTORIES)("flags on $name", (factory) => { … await factory.create() … });
 */
export const STORE_FACTORIES: StoreFactory[] = [
  {
    name: "sqlite",
    async create() {
      const dir = mkdtempSync(join(tmpdir(), "darklaunch-test-"));
      return {
        name: "sqlite",
        options: { sqlitePath: join(dir, "darklaunch.db") },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "postgres",
    async create() {
      const admin = await connectTestPostgres();
      if (!admin) return undefined;
      const name = `darklaunch_test_${randomBytes(6).toString("hex")}`;
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${name}`;
      return {
        name: "postgres",
        options: { databaseUrl: url.toString() },
        async drop() {
          const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
          await client.connect();
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await client.end();
        },
      };
    },
  },
];
