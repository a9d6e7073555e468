import { isScope } from "../auth/scopes.js";
import type { Db, Dialect, Tables } from "../store/database.js";
import { publicToken, type StoredToken, type TokenInfo, type TokenStore } from "./token-store.js";

type TokenRow = Tables["tokens"];

function fromRow(row: TokenRow): StoredToken {
  if (!isScope(row.scope)) throw new Error(`token ${row.id} has an unknown scope "${row.scope}"`);
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    hash: row.hash,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Tokens in the `tokens` table (hashes only), on SQLite or Postgres. */
export class KyselyTokenStore implements TokenStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async insert(token: StoredToken): Promise<void> {
    await this.db
      .insertInto("tokens")
      .values({
        id: token.id,
        name: token.name,
        scope: token.scope,
        hash: token.hash,
        created_at: token.createdAt,
        last_used_at: token.lastUsedAt,
        revoked_at: token.revokedAt,
      })
      .execute();
  }

  async findByHash(hash: string): Promise<StoredToken | undefined> {
    const row = await this.db.selectFrom("tokens").selectAll().where("hash", "=", hash).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async get(id: string): Promise<StoredToken | undefined> {
    const row = await this.db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.db.selectFrom("tokens").selectAll().orderBy("created_at").orderBy("id").execute();
    return rows.map((row) => publicToken(fromRow(row)));
  }

  async activeAdminIds(): Promise<string[]> {
    let admins = this.db.selectFrom("tokens").select("id").where("scope", "=", "admin").where("revoked_at", "is", null);
    // Locks the active admin rows, so two concurrent revocations cannot both see "another admin
    // remains" and leave none (Postgres; SQLite runs one write transaction at a time anyway).
    if (this.dialect === "postgres" && this.db.isTransaction) admins = admins.forUpdate();
    return (await admins.execute()).map((row) => row.id);
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable("tokens")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable("tokens").set({ last_used_at: at }).where("id", "=", id).execute();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom("tokens")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
