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
   * exists afterwards, and any earlier environment admin token (another secret) is revoked, audited
   * with actor `system`: changing the variable is how the secret is rotated. Without one, the first
   * start of an empty store creates an admin token and returns its secret, to be shown once.
   */
  async ensureAdmin(secret: string | undefined): Promise<string | undefined> {
    if (secret !== undefined) {
      const weak = adminSecretProblem(secret);
      if (weak !== undefined) throw new Error(`DARKLAUNCH_ADMIN_TOKEN ${weak}`);
      const existing = await this.stores.tokens.findByHash(hashToken(secret));
      const keep = existing?.id ?? (await this.create(ENV_ADMIN_NAME, "admin", "system", secret)).token.id;
      for (const token of await this.stores.tokens.list()) {
        if (token.name === ENV_ADMIN_NAME && token.id !== keep && token.revokedAt === null) await this.revoke(token.id, "system");
      }
      return undefined;
    }
    if ((await this.stores.tokens.count()) > 0) return undefined;
    return (await this.create("admin", "admin", "system")).secret;
  }
}

/** The name of the token `DARKLAUNCH_ADMIN_TOKEN` makes; the one way to tell it from tokens made through the API. */
const ENV_ADMIN_NAME = "admin (DARKLAUNCH_ADMIN_TOKEN)";

/** Shortest admin secret from the environment, and fewest different characters in it. */
export const MIN_ADMIN_SECRET_LENGTH = 32;
export const MIN_ADMIN_SECRET_DISTINCT = 8;

/** Why an admin secret given by the operator is too easy to guess, or undefined. */
export function adminSecretProblem(secret: string): string | undefined {
  if (secret.length < MIN_ADMIN_SECRET_LENGTH) {
    return `must be at least ${MIN_ADMIN_SECRET_LENGTH} characters (got ${secret.length}); generate one with \`openssl rand -hex 32\``;
  }
  const distinct = new Set(secret).size;
  if (distinct < MIN_ADMIN_SECRET_DISTINCT) {
    return `must use at least ${MIN_ADMIN_SECRET_DISTINCT} different characters (got ${distinct}); generate one with \`openssl rand -hex 32\``;
  }
  return undefined;
}
