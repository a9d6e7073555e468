import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, type DarkLaunchServer, type ServerOptions } from "@darklaunch/server";

/** The built binary: tests run what users run, after `tsc -b` (they never build it themselves). */
export const BIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

export const ADMIN_TOKEN = "dl_admin_cli-test-secret-0123456789";

/** Each test runs the CLI binary many times, its tests side by side: on a loaded machine they share two cores. */
export const CLI_CALLS = { timeout: 120_000 };

/** A release flag (`on`/`off`) serving everyone `off`. */
export function offFlag(key: string): Record<string, unknown> {
  return { key, variants: { on: true, off: false }, offVariant: "off", enabled: true, fallthrough: { variant: "off" } };
}

export interface TestServer {
  url: string;
  dir: string;
  server: DarkLaunchServer;
  /** A token of another scope, created through the API. */
  token(scope: "admin" | "write" | "read" | "sdk", name?: string): Promise<string>;
  /** Creates a flag through the API (fails unless the server answers 201). */
  createFlag(body: Record<string, unknown>): Promise<void>;
  /** Evaluates a flag for a subject through the API, so the evaluations log has rows. */
  evaluate(flag: string, id: string): Promise<unknown>;
  /** Posts observation windows through the API, as reporters do (fails unless the server takes them). */
  postObservations(windows: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** A real server on an ephemeral port over a fresh SQLite file, with a known admin token. */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsc -b\` before the CLI tests`);
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-cli-"));
  const server = await createServer({ sqlitePath: join(dir, "darklaunch.db"), adminToken: ADMIN_TOKEN, ...options });
  const url = await server.listen(0, "127.0.0.1");
  const call = async (path: string, body: unknown, status?: number) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (status === undefined ? !response.ok : response.status !== status)
      throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  return {
    url,
    dir,
    server,
    async token(scope, name = `${scope}-token`) {
      return String((await call("/api/v1/tokens", { name, scope })).secret);
    },
    async createFlag(body) {
      await call("/api/v1/flags", body, 201);
    },
    evaluate: (flag, id) => call(`/api/v1/flags/${flag}/evaluate`, { context: { id } }),
    async postObservations(windows) {
      await call("/api/v1/observations", { windows });
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  url?: string;
  /** The token to pass in DARKLAUNCH_TOKEN; null: none at all. */
  token?: string | null;
  env?: Record<string, string>;
  /** DARKLAUNCH_CONFIG: where the login profile lives (a temp file, never the real one). */
  config?: string;
}

/** Runs `node dist/main.js …args` and resolves with its exit code and output (never rejects on exit code). */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: "1" };
  if (options.url !== undefined) env.DARKLAUNCH_URL = options.url;
  if (options.token !== null) env.DARKLAUNCH_TOKEN = options.token ?? ADMIN_TOKEN;
  env.DARKLAUNCH_CONFIG = options.config ?? join(tmpdir(), "darklaunch-cli-no-profile", "config.json");
  Object.assign(env, options.env);
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A local port nothing listens on. */
export async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const address = probe.address();
  await new Promise<void>((done) => probe.close(() => done()));
  return typeof address === "object" && address !== null ? address.port : 0;
}
