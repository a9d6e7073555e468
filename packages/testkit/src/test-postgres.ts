import pg from "pg";

/** The Postgres the tests use (CONTRIBUTING.md); override with TEST_DATABASE_URL. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Connects to the test Postgres. Under CI (`CI=true`) an unreachable database fails the suite;
 * on a developer machine without Postgres it returns undefined and the caller skips, saying why.
 */
export async function connectTestPostgres(): Promise<pg.Client | undefined> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return client;
  } catch (error) {
    if (process.env.CI === "true") {
      throw new Error(`Postgres at ${TEST_DATABASE_URL} is unreachable and CI=true: ${(error as Error).message}`);
    }
    console.warn(`Postgres at ${TEST_DATABASE_URL} is unreachable; skipping its tests: ${(error as Error).message}`);
    return undefined;
  }
}
