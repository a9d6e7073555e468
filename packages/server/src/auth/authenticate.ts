import type { FastifyRequest } from "fastify";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import type { TokenService } from "../tokens/token-service.js";
import type { AuthFailureThrottle } from "./rate-limits.js";
import { grants, type RouteScope, type Scope } from "./scopes.js";
import { hashToken, sameHash } from "./token-secrets.js";

/** Who is calling: the token's name is the actor in the audit log. */
export interface Caller {
  tokenId: string;
  name: string;
  scope: Scope;
}

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; every route states one (`public` for health checks and docs). */
    scope?: RouteScope;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** last_used_at is written at most once a minute per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Checks the bearer token against the scope a route needs. A wrong, malformed or revoked token
 * counts as a failure against the caller's address in `throttle` (a missing header does not: it
 * guesses nothing); an address over its limit is refused before its token is looked at.
 */
export function createAuthenticator(tokens: TokenService, throttle: AuthFailureThrottle) {
  const touched = new Map<string, number>();
  return async function authenticate(request: FastifyRequest, needed: Scope): Promise<Caller> {
    const header = request.headers.authorization;
    if (header === undefined || header === "") {
      throw new UnauthorizedError("missing Authorization header: send `Authorization: Bearer <token>`");
    }
    throttle.check(request.ip);
    const failed = (message: string) => {
      throttle.fail(request.ip);
      return new UnauthorizedError(message);
    };
    const secret = BEARER.exec(header)?.[1];
    if (secret === undefined) throw failed("the Authorization header must be `Bearer <token>`");
    const hash = hashToken(secret);
    const token = await tokens.findByHash(hash);
    if (token === undefined || !sameHash(token.hash, hash)) throw failed("unknown token");
    if (token.revokedAt !== null) throw failed(`token "${token.name}" was revoked at ${token.revokedAt}`);
    if (!grants(token.scope, needed)) {
      throw new ForbiddenError(
        `token "${token.name}" has scope "${token.scope}"; this call needs "${needed}"${needed === "read" || needed === "write" ? " (or a broader scope)" : ""}`,
      );
    }
    const now = Date.now();
    if ((touched.get(token.id) ?? 0) + TOUCH_INTERVAL_MS < now) {
      touched.set(token.id, now);
      await tokens.touch(token.id, new Date(now).toISOString());
    }
    return { tokenId: token.id, name: token.name, scope: token.scope };
  };
}
