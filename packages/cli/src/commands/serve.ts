import { resolve } from "node:path";
import type { DarkLaunchServer } from "@darklaunch/server";
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { parsePort, parsePositiveInt } from "../options.js";
import { print } from "../output.js";
import { runUntilSignal } from "../run-until-signal.js";

interface ServeOptions {
  port: number;
  host: string;
  db?: string;
  databaseUrl?: string;
  log?: boolean;
  allowPrivateWebhooks?: boolean;
  minuteMs?: number;
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/** Starts the control plane and keeps it running until SIGINT / SIGTERM, then drains and closes. */
async function serve(options: ServeOptions): Promise<void> {
  const databaseUrl = options.databaseUrl ?? (process.env.DATABASE_URL || undefined);
  const sqlitePath = databaseUrl === undefined ? resolve(options.db ?? "darklaunch.db") : undefined;
  if (databaseUrl !== undefined && options.db !== undefined)
    throw new CliError("give either --db (SQLite) or --database-url / DATABASE_URL (Postgres), not both", 2);
  let server: DarkLaunchServer;
  try {
    // Loaded here, not at the top: the other verbs start faster without Fastify and the drivers.
    const { createServer, serverLogger } = await import("@darklaunch/server");
    server = await createServer({
      sqlitePath,
      databaseUrl,
      adminToken: process.env.DARKLAUNCH_ADMIN_TOKEN || undefined,
      // Errors (500s with their stack) are always logged, as JSON lines; --log adds every request.
      logger: serverLogger({ accessLog: options.log === true }),
      allowPrivateWebhookTargets: options.allowPrivateWebhooks === true,
      ...(options.minuteMs === undefined ? {} : { minuteMs: options.minuteMs }),
    });
  } catch (error) {
    throw new CliError(`cannot start the server: ${(error as Error).message}`);
  }
  let url: string;
  try {
    url = await server.listen(options.port, options.host);
  } catch (error) {
    await server.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === "EADDRINUSE"
        ? `port ${options.port} on ${options.host} is in use; pick another with --port`
        : `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
    );
  }
  const hasDashboard = server.app.hasRoute({ method: "GET", url: "/" });
  print(`darklaunch control plane listening on ${url}`);
  print(`  store:     ${databaseUrl === undefined ? `SQLite ${sqlitePath}` : `Postgres ${redact(databaseUrl)}`}`);
  if (hasDashboard) print(`  dashboard: ${url}/`);
  print(`  API docs:  ${url}/api/docs`);
  const token = server.createdAdminToken;
  if (token !== undefined) {
    print(`  admin token (shown only this once; store it now): ${token}`);
  } else {
    print(
      `  admin token: ${process.env.DARKLAUNCH_ADMIN_TOKEN ? "DARKLAUNCH_ADMIN_TOKEN" : "created at the first start of this store (it was printed then)"}`,
    );
  }
  print();
  // `npx`: after `npm ci` the command is in node_modules/.bin, not on the PATH.
  print("next, in another terminal at the repository root:");
  print(`  npx darklaunch login --url ${url} --token ${token ?? "<admin token>"}`);
  print("  npx darklaunch enable checkout-v2 --percentage 1");
  print();
  print("Ctrl-C stops the server (in-flight requests finish first).");

  await runUntilSignal("server", () => server.close(), "store closed");
}

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("Run the control plane: REST API, API docs, store (SQLite by default, Postgres with --database-url)")
    .option("--port <port>", "port to listen on (0 picks a free one)", parsePort, 4700)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--db <path>", "SQLite file (default ./darklaunch.db)")
    .option("--database-url <url>", "Postgres URL, e.g. postgres://user:pass@host/db (or DATABASE_URL)")
    .option("--log", "also log every request (JSON lines; errors are always logged)")
    .option(
      "--minute-ms <ms>",
      "length of a ramp minute in milliseconds (default 60000; e.g. 200 runs a whole ramp in seconds for a demo)",
      parsePositiveInt,
    )
    .option("--allow-private-webhooks", "let alert webhooks reach private, loopback and link-local addresses (off: refused)")
    .action(serve);
}
