import type { FastifyInstance } from "fastify";
import type { AlertOptions } from "./alerts/build-alert-service.js";
import { type AppOptions, buildApp } from "./app.js";
import { composeServices } from "./composition-root.js";
import type { ServerContext } from "./context.js";
import { RampRunner } from "./ramps/ramp-runner.js";
import { SdkStreams } from "./sdk/sdk-streams.js";
import { type Database, openDatabase, type StoreOptions } from "./store/database.js";
import { migrate } from "./store/migrations.js";
import { startRetention } from "./store/retention.js";

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
  /**
   * How long a ramp minute lasts, in ms (`--minute-ms`; default 60 000). Tests and demos use e.g.
   * 200 to run a whole ramp in seconds; a ramp keeps the value it started with.
   */
  minuteMs?: number;
  /** This replica's name in ramp leases (default: random per start). */
  replicaId?: string;
  /** How long a ramp lease lasts unless renewed (default max(3 minutes, 5 s)). */
  rampLeaseMs?: number;
}

export interface DarkLaunchServer {
  readonly app: FastifyInstance;
  readonly context: ServerContext;
  /** The open store. Route modules never see it (they use the services); tests read it to check what was written. */
  readonly database: Database;
  /** The secret of an admin token created by this start, to be shown once; undefined otherwise. */
  readonly createdAdminToken: string | undefined;
  /** Starts listening; returns the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops taking requests, lets in-flight ones finish, then closes the store. */
  close(): Promise<void>;
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
    const composed = composeServices(database, {
      now: options.now,
      evaluationRetentionDays: options.evaluationRetentionDays ?? 30,
      minuteMs: options.minuteMs,
      alerts: {
        ...options.alerts,
        allowPrivateTargets: options.allowPrivateWebhookTargets,
        onError: (error) => app.log.error({ err: error }, "alerts: logging a delivery attempt failed"),
      },
    });
    const createdAdminToken = await composed.context.tokens.ensureAdmin(options.adminToken);
    const streams = new SdkStreams(composed.context.rulesets, {
      heartbeatMs: options.heartbeatMs,
      onError: (error) => app.log.error({ err: error }, "SDK streams: following changes failed"),
    });
    sdkStreams = streams;
    const context: ServerContext = { ...composed.context, sdkStreams: streams };
    const app = await buildApp(context, options);
    await streams.start(database, options.databaseUrl);
    const retention = startRetention(composed.retained, context.evaluationRetentionDays, {
      onError: (error) => app.log.error({ err: error }, "pruning the evaluations log failed"),
    });
    const runner = new RampRunner(context.ramps, {
      replicaId: options.replicaId,
      minuteMs: options.minuteMs,
      leaseMs: options.rampLeaseMs,
      onError: (error, rampId) => app.log.error({ err: error, rampId }, "ramps: a minute of a ramp failed"),
    });
    runner.start();
    let closed = false;
    return {
      app,
      context,
      database,
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
        await runner.close();
        await app.close();
        await context.alerts.close();
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
