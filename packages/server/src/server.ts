import type { FastifyInstance } from "fastify";
import { type AlertOptions, buildAlertService } from "./alerts/build-alert-service.js";
import { type AppOptions, buildApp } from "./app.js";
import { recordAudit } from "./audit/audit-store.js";
import { hashToken } from "./auth/token-secrets.js";
import type { ServerContext } from "./context.js";
import { startEvaluationRetention } from "./evaluations/evaluation-retention.js";
import { FlagService } from "./flags/flag-service.js";
import { RulesetCache } from "./ruleset/ruleset-store.js";
import { SdkStreams } from "./sdk/sdk-streams.js";
import { type Database, openDatabase, type StoreOptions } from "./store/database.js";
import { migrate } from "./store/migrations.js";
import { countTokens, createToken, findTokenByHash } from "./tokens/token-store.js";

export interface ServerOptions extends StoreOptions, AppOptions {
  /**
   * An admin token secret to accept (`DARKLAUNCH_ADMIN_TOKEN`). Without one, the first start of an
   * empty store creates an admin token and returns its secret once.
   */
  adminToken?: string;
  /** Days the evaluations log keeps (default 30). */
  evaluationRetentionDays?: number;
  /** The clock flag schedules are evaluated against, in epoch ms (default `Date.now`; tests pin it). */
  now?: () => number;
  /** Milliseconds between heartbeats on SDK streams (default 15 000). */
  heartbeatMs?: number;
  /**
   * Let alert webhooks reach private, loopback and link-local addresses (`--allow-private-webhooks`).
   * Off by default, so a token holder cannot make the server probe the internal network.
   */
  allowPrivateWebhookTargets?: boolean;
  /** Alert delivery tuning: retries, backoff, timeouts, de-duplication window (tests shorten them). */
  alerts?: AlertOptions;
}

export interface DarkLaunchServer {
  readonly app: FastifyInstance;
  readonly context: ServerContext;
  /** The secret of an admin token created by this start, to be shown once; undefined otherwise. */
  readonly createdAdminToken: string | undefined;
  /** Starts listening; returns the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops taking requests, lets in-flight ones finish, then closes the store. */
  close(): Promise<void>;
}

async function ensureAdminToken(database: Database, secret: string | undefined): Promise<string | undefined> {
  const db = database.db;
  if (secret !== undefined) {
    if (secret.length < 16) throw new Error("DARKLAUNCH_ADMIN_TOKEN must be at least 16 characters");
    if (await findTokenByHash(db, hashToken(secret))) return undefined;
    await db.transaction().execute(async (trx) => {
      const { token } = await createToken(trx, "admin (DARKLAUNCH_ADMIN_TOKEN)", "admin", secret);
      await recordAudit(trx, { actor: "system", action: "token.create", targetType: "token", targetKey: token.id, after: token });
    });
    return undefined;
  }
  if ((await countTokens(db)) > 0) return undefined;
  return db.transaction().execute(async (trx) => {
    const created = await createToken(trx, "admin", "admin");
    await recordAudit(trx, {
      actor: "system",
      action: "token.create",
      targetType: "token",
      targetKey: created.token.id,
      after: created.token,
    });
    return created.secret;
  });
}

/**
 * Opens the store (SQLite by default, Postgres with `databaseUrl`), runs migrations, makes sure an
 * admin token exists, and builds the app. Nothing listens until `listen()`.
 *
 * @example
 * const server = await createServer({ sqlitePath: "./darklaunch.db" });
 * console.log(await server.listen(4700, "127.0.0.1"), server.createdAdminToken);
 */
export async function createServer(options: ServerOptions = {}): Promise<DarkLaunchServer> {
  const database = openDatabase(options);
  let sdkStreams: SdkStreams | undefined;
  try {
    await migrate(database.db, database.dialect);
    const createdAdminToken = await ensureAdminToken(database, options.adminToken);
    const rulesets = new RulesetCache(database, options.now);
    const streams = new SdkStreams(rulesets, {
      heartbeatMs: options.heartbeatMs,
      onError: (error) => app.log.error({ err: error }, "SDK streams: following changes failed"),
    });
    sdkStreams = streams;
    const flags = new FlagService(database);
    // Alerts: built here until the composition root takes over; drained in close() before the store.
    const alerts = buildAlertService(database, flags, {
      ...options.alerts,
      allowPrivateTargets: options.allowPrivateWebhookTargets,
      onError: (error) => app.log.error({ err: error }, "alerts: logging a delivery attempt failed"),
    });
    const context: ServerContext = {
      database,
      rulesets,
      flags,
      sdkStreams: streams,
      evaluationRetentionDays: options.evaluationRetentionDays ?? 30,
      alerts,
    };
    const app = await buildApp(context, options);
    await streams.start(database, options.databaseUrl);
    const retention = startEvaluationRetention(database.db, context.evaluationRetentionDays, {
      onError: (error) => app.log.error({ err: error }, "pruning the evaluations log failed"),
    });
    let closed = false;
    return {
      app,
      context,
      createdAdminToken,
      async listen(port = 4700, host = "127.0.0.1") {
        await app.listen({ port, host });
        const address = app.server.address();
        const actual = typeof address === "object" && address !== null ? address.port : port;
        return `http://${host.includes(":") ? `[${host}]` : host}:${actual}`;
      },
      async close() {
        if (closed) return;
        closed = true;
        // Streams never end by themselves: they are closed first, or app.close() would wait on them.
        await streams.close();
        await app.close();
        await alerts.close();
        await retention.stop();
        await database.close();
      },
    };
  } catch (error) {
    await sdkStreams?.close();
    await database.close();
    throw error;
  }
}
