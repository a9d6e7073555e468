import { isScope, type Scope } from "../auth/scopes.js";
import { hashToken, newTokenId, newTokenSecret } from "../auth/token-secrets.js";
import type { Db } from "../store/database.js";

/** A token as listed: never its secret or hash. */
export interface TokenInfo {
  id: string;
  name: string;
  scope: Scope;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface StoredToken extends TokenInfo {
  hash: string;
}

type TokenRow = {
  id: string;
  name: string;
  scope: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

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

export function publicToken({ hash: _hash, ...info }: StoredToken): TokenInfo {
  return info;
}

/** Creates a token and returns it with its secret, which is not stored and cannot be shown again. */
export async function createToken(
  db: Db,
  name: string,
  scope: Scope,
  secret = newTokenSecret(scope),
): Promise<{ token: TokenInfo; secret: string }> {
  const row: TokenRow = {
    id: newTokenId(),
    name,
    scope,
    hash: hashToken(secret),
    created_at: new Date().toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await db.insertInto("tokens").values(row).execute();
  return { token: publicToken(fromRow(row)), secret };
}

export async function findTokenByHash(db: Db, hash: string): Promise<StoredToken | undefined> {
  const row = await db.selectFrom("tokens").selectAll().where("hash", "=", hash).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function getToken(db: Db, id: string): Promise<StoredToken | undefined> {
  const row = await db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listTokens(db: Db): Promise<TokenInfo[]> {
  const rows = await db.selectFrom("tokens").selectAll().orderBy("created_at").orderBy("id").execute();
  return rows.map((row) => publicToken(fromRow(row)));
}

/** Marks a token revoked; returns false when it was already revoked. */
export async function revokeToken(db: Db, id: string): Promise<boolean> {
  const result = await db
    .updateTable("tokens")
    .set({ revoked_at: new Date().toISOString() })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touchToken(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable("tokens").set({ last_used_at: at }).where("id", "=", id).execute();
}

export async function countActiveAdminTokens(db: Db): Promise<number> {
  const row = await db
    .selectFrom("tokens")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("scope", "=", "admin")
    .where("revoked_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countTokens(db: Db): Promise<number> {
  const row = await db
    .selectFrom("tokens")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
