import type { Scope } from "../auth/scopes.js";

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

export function publicToken({ hash: _hash, ...info }: StoredToken): TokenInfo {
  return info;
}

/** Where tokens are kept (as hashes); the tokens domain owns the `tokens` table. */
export interface TokenStore {
  insert(token: StoredToken): Promise<void>;
  findByHash(hash: string): Promise<StoredToken | undefined>;
  get(id: string): Promise<StoredToken | undefined>;
  /** Every token, oldest first, without hashes. */
  list(): Promise<TokenInfo[]>;
  /** Ids of the admin tokens not revoked; inside a transaction they stay locked until it ends (Postgres). */
  activeAdminIds(): Promise<string[]>;
  /** Marks a token revoked; false when it already was. */
  revoke(id: string, at: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
  count(): Promise<number>;
}
