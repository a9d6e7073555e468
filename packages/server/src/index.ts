/**
 * @darklaunch/server — the control plane (docs/architecture.md#the-control-plane): REST API under /api/v1, OpenAPI at /api/docs,
 * SQLite or Postgres through one set of migrations, scoped tokens, audit in every write's transaction.
 *
 * @example
 * import { createServer } from "@darklaunch/server";
 * const server = await createServer({ databaseUrl: process.env.DATABASE_URL });
 * const url = await server.listen(4700, "127.0.0.1");
 */
export type { Alert, AlertInput, Delivery, DeliveryAttempt, Destination, Severity } from "./alerts/alert.js";
export type { AlertService, NotifyResult } from "./alerts/alert-service.js";
export type { AlertOptions } from "./alerts/build-alert-service.js";
export { SIGNATURE_HEADER, signatureHeader, verifySignature } from "./alerts/webhook-signature.js";
export { type AppOptions, buildApp } from "./app.js";
export { DEFAULT_RATE_LIMITS, type RateLimitOptions } from "./auth/rate-limits.js";
export { grants, SCOPES, type Scope } from "./auth/scopes.js";
export type { ServerContext } from "./context.js";
export type { FlagRecord } from "./flags/flag-store.js";
export { type LogDestination, type LoggingOptions, loggedUrl, serverLogger } from "./logging.js";
export { createServer, type DarkLaunchServer, type ServerOptions } from "./server.js";
export type { Dialect, StoreOptions } from "./store/database.js";
