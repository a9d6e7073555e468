import type { Command } from "commander";
import { ApiClient, ApiError, apiPath } from "../client.js";
import { configPath, DEFAULT_URL, removeProfile, saveProfile } from "../config.js";
import { CliError } from "../errors.js";
import { print } from "../output.js";

/** Checks the server and the token, then saves them as the profile (mode 0600). */
async function login(options: { url?: string; token?: string }, command: Command): Promise<void> {
  const globals = command.optsWithGlobals<{ url?: string; token?: string }>();
  const url = (globals.url ?? process.env.DARKLAUNCH_URL ?? DEFAULT_URL).replace(/\/+$/, "");
  const token = options.token ?? globals.token ?? process.env.DARKLAUNCH_TOKEN;
  if (token === undefined || token === "") throw new CliError("give the token to save: darklaunch login --url URL --token TOKEN", 2);
  const api = new ApiClient(url, token);
  let note = "";
  try {
    await api.get(apiPath("flags"), { state: "all" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      throw new CliError(`the server at ${url} refused the token: ${error.message}; nothing was saved`);
    if (!(error instanceof ApiError && error.status === 403)) throw error;
    note = " (this token cannot read flags; it was saved anyway)";
  }
  const path = configPath();
  saveProfile({ url, token }, path);
  print(`logged in to ${url}${note}; profile saved to ${path} (mode 0600)`);
}

function logout(): void {
  const path = configPath();
  print(removeProfile(path) ? `removed the profile ${path}` : `no profile at ${path}`);
}

export function registerLoginCommands(program: Command): void {
  program
    .command("login")
    .description("Save a server URL and token as the profile used when --token and DARKLAUNCH_TOKEN are absent")
    .action(login);
  program.command("logout").description("Remove the saved profile").action(logout);
}
