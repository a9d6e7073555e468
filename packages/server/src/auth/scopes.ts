import { TOKEN_SCOPES, type TokenScope } from "@darklaunch/core";

/** Token scopes (the API's `TOKEN_SCOPES`). `admin` can do everything; `write` ⊃ `read`; `sdk` only SDK and OFREP. */
export const SCOPES = TOKEN_SCOPES;
export type Scope = TokenScope;

/** What a route needs: one of the scopes, or nothing (`public`). */
export type RouteScope = Scope | "public";

const GRANTS: Record<Scope, ReadonlySet<Scope>> = {
  admin: new Set(["admin", "write", "read", "sdk"]),
  write: new Set(["write", "read"]),
  read: new Set(["read"]),
  sdk: new Set(["sdk"]),
};

/** True when a token of scope `held` may call a route that needs `needed`. */
export function grants(held: Scope, needed: Scope): boolean {
  return GRANTS[held].has(needed);
}

export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && (SCOPES as readonly string[]).includes(value);
}
