import { readFileSync } from "node:fs";
import { ValidationError } from "@darklaunch/core";
import type { ProxyConfigInput, RunningProxy } from "@darklaunch/proxy";
import { type Command, InvalidArgumentError } from "commander";
import { parse as parseYaml } from "yaml";
import { type GlobalOptions, resolveConnection } from "../config.js";
import { CliError, EXIT_USAGE, UsageError } from "../errors.js";
import { parsePositiveInt } from "../options.js";
import { print } from "../output.js";
import { runUntilSignal } from "../run-until-signal.js";

interface ProxyOptions {
  flag?: string;
  stable?: string;
  dark?: string;
  secondary?: string;
  listen?: string;
  adminListen?: string;
  subject?: string;
  mirrorMethods?: string;
  maxInflight?: number;
  mirrorRate?: number;
  timeout?: number;
  bodyLimit?: number;
  fallback?: boolean;
  config?: string;
  workers?: string;
  minuteMs?: number;
}

const ROUTE_FLAGS = [
  "flag",
  "stable",
  "dark",
  "secondary",
  "subject",
  "mirrorMethods",
  "maxInflight",
  "mirrorRate",
  "timeout",
  "bodyLimit",
] as const;

function parseRate(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`must be a positive number of mirrors per second, got ${JSON.stringify(text)}`);
  return value;
}

function parseBytes(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`must be a number of bytes, got ${JSON.stringify(text)}`);
  return value;
}

/** A JSON or YAML file (by extension; YAML is a superset of JSON, so anything else is read as YAML). */
function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CliError(`${path} is not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${(error as Error).message}`, EXIT_USAGE);
  }
}

/** The configuration: the file's (with --listen / --admin-listen over it), or one route from the flags. */
function configOf(options: ProxyOptions, globals: GlobalOptions): ProxyConfigInput {
  let config: Record<string, unknown>;
  if (options.config !== undefined) {
    const given = ROUTE_FLAGS.filter((name) => options[name] !== undefined);
    if (given.length > 0) throw new UsageError(`--config holds the routes; do not also give ${given.map(flagName).join(", ")}`);
    const file = readConfigFile(options.config);
    if (typeof file !== "object" || file === null || Array.isArray(file))
      throw new CliError(`${options.config} must hold an object with routes`, EXIT_USAGE);
    config = { ...(file as Record<string, unknown>) };
  } else {
    const missing = (["flag", "stable", "dark"] as const).filter((name) => options[name] === undefined);
    if (missing.length > 0) throw new UsageError(`give ${missing.map(flagName).join(", ")} (or a --config file)`);
    const route: Record<string, unknown> = { match: { pathPrefix: "/" }, flag: options.flag, stable: options.stable, dark: options.dark };
    if (options.secondary !== undefined) route.secondary = options.secondary;
    if (options.subject !== undefined) route.subject = options.subject;
    if (options.mirrorMethods !== undefined) route.mirrorMethods = options.mirrorMethods;
    if (options.maxInflight !== undefined) route.maxInflight = options.maxInflight;
    if (options.mirrorRate !== undefined) route.mirrorRate = options.mirrorRate;
    if (options.timeout !== undefined) route.timeoutMs = options.timeout;
    if (options.bodyLimit !== undefined) route.bodyLimit = options.bodyLimit;
    if (options.fallback === false) route.fallback = false;
    config = { routes: [route] };
  }
  if (options.listen !== undefined) config.listen = options.listen;
  if (options.adminListen !== undefined) config.adminListen = options.adminListen;
  if (options.minuteMs !== undefined) config.minuteMs = options.minuteMs;
  if (config.controlPlane === undefined) {
    const { url, token } = resolveConnection(globals);
    if (token === undefined) throw new UsageError("the proxy needs a token to read flags: --token, DARKLAUNCH_TOKEN or `darklaunch login`");
    config.controlPlane = { url, token };
  }
  return config as ProxyConfigInput;
}

/** Where a problem came from: the command-line option for what was given as one, else the config path. */
function optionOf(path: string, options: ProxyOptions): string {
  if (path === "listen" && options.listen !== undefined) return "--listen";
  if (path === "adminListen" && options.adminListen !== undefined) return "--admin-listen";
  if (path === "minuteMs" && options.minuteMs !== undefined) return "--minute-ms";
  if (options.config !== undefined) return path;
  if (path.startsWith("controlPlane.")) return `${path} (--url / --token)`;
  const field = /^routes\[0\]\.(\w+)$/.exec(path)?.[1];
  if (field === "timeoutMs") return "--timeout";
  return field !== undefined && (ROUTE_FLAGS as readonly string[]).includes(field) ? flagName(field) : path;
}

function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Starts the proxy and keeps it running until SIGINT / SIGTERM, then drains and flushes observations. */
async function runProxy(options: ProxyOptions, command: Command): Promise<void> {
  const config = configOf(options, command.optsWithGlobals<GlobalOptions>());
  let proxy: Pick<RunningProxy, "url" | "adminUrl" | "config" | "close">;
  let workers = 1;
  try {
    // Loaded here, not at the top: the other verbs start faster without undici and prom-client.
    const { startProxy, startProxyCluster, workerCount } = await import("@darklaunch/proxy");
    try {
      workers = workerCount(options.workers);
    } catch (error) {
      throw new UsageError(`--workers: ${(error as Error).message.replace(/^workers: /, "")}`);
    }
    proxy = workers === 1 ? await startProxy(config) : await startProxyCluster(config, workers);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof ValidationError) {
      const source =
        options.config === undefined ? "the proxy options are invalid" : `the proxy configuration in ${options.config} is invalid`;
      const problems = error.problems.map((p) => ({ path: optionOf(p.path, options), message: p.message }));
      throw new CliError(source, EXIT_USAGE, problems);
    }
    throw new CliError(`cannot start the proxy: ${(error as Error).message}`);
  }
  print(`darklaunch proxy listening on ${proxy.url}${workers > 1 ? ` (${workers} workers)` : ""}`);
  print(`  metrics:  ${proxy.adminUrl}/metrics   health: ${proxy.adminUrl}/healthz`);
  for (const route of proxy.config.routes) {
    print(
      `  route ${route.name}: flag ${route.flag}; stable ${route.stable}; dark ${route.dark}${route.secondary ? `; secondary ${route.secondary}` : ""}`,
    );
  }
  print("Ctrl-C stops the proxy (in-flight requests and mirrors finish, observations are flushed first).");

  await runUntilSignal("proxy", () => proxy.close(), "observations flushed");
}

export function registerProxyCommand(program: Command): void {
  program
    .command("proxy")
    .description(
      "Run the shadow / split proxy: serves from stable, mirrors the flag's shadow slice to dark (or serves its dark slice from dark), compares, reports observations",
    )
    .option("--flag <key>", "the flag that decides each request's path (true/shadow: mirror; dark: serve from dark)")
    .option("--stable <url>", "the current backend, e.g. http://127.0.0.1:3000")
    .option("--dark <url>", "the new backend")
    .option("--secondary <url>", "a second stable instance: differences it shows too are noise")
    .option("--listen <host:port>", "where the proxy listens (default 127.0.0.1:8080)")
    .option("--admin-listen <host:port>", "where /metrics and /healthz listen (default 127.0.0.1:9464)")
    .option(
      "--subject <source>",
      "where the subject is read: header:x-user-id, cookie:uid or query:user (default: a random position per request)",
    )
    .option("--mirror-methods <list>", "methods that may be mirrored (default GET,HEAD,OPTIONS)")
    .option("--max-inflight <n>", "mirrors in flight at once; excess is dropped (default 100)", parsePositiveInt)
    .option("--mirror-rate <r>", "mirrors per second at most (default unlimited)", parseRate)
    .option("--timeout <ms>", "per mirrored request (default 2000)", parsePositiveInt)
    .option("--body-limit <bytes>", "largest body mirrored or compared (default 1048576)", parseBytes)
    .option("--no-fallback", "split mode: answer 502 instead of serving stable when dark is down")
    .option("--config <file>", "a JSON or YAML file with several routes (see the proxy's README)")
    .option("--workers <n>", "processes serving the port (node:cluster); auto = one per core (default 1)")
    .option(
      "--minute-ms <ms>",
      "observation window length for a server run with short minutes (serve --minute-ms; tests and demos). Default: the server's, learned from its answers",
      parsePositiveInt,
    )
    .action(runProxy);
}
