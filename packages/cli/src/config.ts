import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { ApiClient } from "./client.js";
import { CliError } from "./errors.js";

export const DEFAULT_URL = "http://127.0.0.1:4700";

/** What `darklaunch login` saves: where the server is and the token to use with it. */
export interface Profile {
  url: string;
  token: string;
}

/** `$DARKLAUNCH_CONFIG`, else `~/.config/darklaunch/config.json` (or under `$XDG_CONFIG_HOME`). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DARKLAUNCH_CONFIG) return env.DARKLAUNCH_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "darklaunch", "config.json");
}

export function loadProfile(path = configPath()): Profile | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read the profile ${path}: ${(error as Error).message}; run \`darklaunch login\` again`);
  }
  const profile = parsed as Partial<Profile>;
  if (typeof profile?.url !== "string" || typeof profile.token !== "string") {
    throw new CliError(`the profile ${path} has no url and token; run \`darklaunch login --url URL --token TOKEN\``);
  }
  return { url: profile.url, token: profile.token };
}

/** Writes the profile readable by its owner only (0600): it holds a secret. */
export function saveProfile(profile: Profile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that already existed.
  chmodSync(path, 0o600);
}

export function removeProfile(path = configPath()): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

export interface GlobalOptions {
  url?: string;
  token?: string;
}

function normalize(url: string): string {
  return url.replace(/\/+$/, "");
}

/**
 * The server and token to use: `--url`, else `DARKLAUNCH_URL`, else the profile, else the default;
 * `--token`, else `DARKLAUNCH_TOKEN`, else the profile's token — but only when the URL is the
 * profile's, so a saved token is never sent to another server.
 */
export function resolveConnection(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): { url: string; token: string | undefined } {
  const profile = loadProfile(configPath(env));
  const url = normalize(options.url ?? (env.DARKLAUNCH_URL || undefined) ?? profile?.url ?? DEFAULT_URL);
  try {
    new URL(url);
  } catch {
    throw new CliError(`not a URL: ${JSON.stringify(url)} (expected something like ${DEFAULT_URL})`, 2);
  }
  const profileToken = profile !== undefined && normalize(profile.url) === url ? profile.token : undefined;
  return { url, token: options.token ?? (env.DARKLAUNCH_TOKEN || undefined) ?? profileToken };
}

export function clientFor(options: GlobalOptions): ApiClient {
  const { url, token } = resolveConnection(options);
  return new ApiClient(url, token);
}
