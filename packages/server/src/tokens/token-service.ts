import { DarkLaunchError } from "@darklaunch/core";
import type { Scope } from "../auth/scopes.js";
import { hashToken, newTokenId, newTokenSecret } from "../auth/token-secrets.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Stores, Transactor } from "../store/stores.js";
import { publicToken, type StoredToken, type TokenInfo } from "./token-store.js";

/** 409: revoking a token twice. */
export class AlreadyRevokedError extends DarkLaunchError {
  constructor(token: TokenInfo) {
    super("ALREADY_REVOKED", 409, `token "${token.name}" (${token.id}) was already revoked at ${token.revokedAt}`);
  }
}

/** A new token row and its secret, which is not stored and cannot be shown again. */
export function newToken(name: string, scope: Scope, secret = newTokenSecret(scope)): { token: StoredToken; secret: string } {
  const token: StoredToken = {
    id: newTokenId(),
    name,
    scope,
    hash: hashToken(secret),
    createdAt: new Date().toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  };
  return { token, secret };
}

/**
 * Tokens: created with their secret shown once, stored as hashes, revoked (never the last active
 * admin token). Every create and revoke is one transaction with its audit entry.
 */
export class TokenService {
  /** `stores` are bound to the database (reads); writes run in `transactor` transactions. */
  constructor(
    private readonly stores: Stores,
    private readonly transactor: Transactor,
  ) {}

  list(): Promise<TokenInfo[]> {
    return this.stores.tokens.list();
  }

  /** The token whose secret hashes to `hash`, revoked or not. */
  findByHash(hash: string): Promise<StoredToken | undefined> {
    return this.stores.tokens.findByHash(hash);
  }

  /** Records when a token was last used. */
  touch(id: string, at: string): Promise<void> {
    return this.stores.tokens.touch(id, at);
  }

  /** Creates a token and returns it with its secret (given, or a new random one). */
  create(name: string, scope: Scope, actor: string, secret?: string): Promise<{ token: TokenInfo; secret: string }> {
    return this.transactor.transaction(async (tx) => {
      const created = newToken(name, scope, secret);
      await tx.tokens.insert(created.token);
      const token = publicToken(created.token);
      await tx.audit.record({ actor, action: "token.create", targetType: "token", targetKey: token.id, after: token });
      return { token, secret: created.secret };
    });
  }

  /** Revokes a token. The last active admin token cannot be revoked: nobody could manage tokens any more. */
  revoke(id: string, actor: string): Promise<TokenInfo> {
    return this.transactor.transaction(async (tx) => {
      const current = await tx.tokens.get(id);
      if (!current) throw new NotFoundError("token", id);
      if (current.revokedAt !== null) throw new AlreadyRevokedError(publicToken(current));
      if (current.scope === "admin") {
        const active = await tx.tokens.activeAdminIds();
        if (active.every((other) => other === id)) {
          throw new ConflictError(
            "IN_USE",
            `token "${current.name}" is the last active admin token; create another admin token before revoking it`,
          );
        }
      }
      if (!(await tx.tokens.revoke(id, new Date().toISOString()))) throw new AlreadyRevokedError(publicToken(current));
      const after = publicToken((await tx.tokens.get(id)) ?? current);
      await tx.audit.record({ actor, action: "token.revoke", targetType: "token", targetKey: id, before: publicToken(current), after });
      return after;
    });
  }

  /**
   * Makes sure an admin can get in. With `secret` (`DARKLAUNCH_ADMIN_TOKEN`), a token with that secret
   * exists afterwards; without one, the first start of an empty store creates an admin token and
   * returns its secret, to be shown once.
   */
  async ensureAdmin(secret: string | undefined): Promise<string | undefined> {
    if (secret !== undefined) {
      if (secret.length < 16) throw new Error("DARKLAUNCH_ADMIN_TOKEN must be at least 16 characters");
      if (await this.stores.tokens.findByHash(hashToken(secret))) return undefined;
      await this.create("admin (DARKLAUNCH_ADMIN_TOKEN)", "admin", "system", secret);
      return undefined;
    }
    if ((await this.stores.tokens.count()) > 0) return undefined;
    return (await this.create("admin", "admin", "system")).secret;
  }
}
