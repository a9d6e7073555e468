import {
  TOKEN_SCOPES,
  type TokenCreated,
  type TokenCreateRequest,
  type TokenListResponse,
  type TokenRevoked,
  type TokenScope,
} from "@darklaunch/core";
import type { Command } from "commander";
import { Option } from "commander";
import { apiPath } from "../client.js";
import { apiOf, jsonOption } from "../options.js";
import { print, printFields, printJson, printTable, shortTime } from "../output.js";

async function create(options: { name: string; scope: TokenScope; json?: boolean }, command: Command): Promise<void> {
  const request: TokenCreateRequest = { name: options.name, scope: options.scope };
  const created = await apiOf(command).send<TokenCreated>("POST", apiPath("tokens"), request);
  if (options.json) return printJson(created);
  print(`created token ${created.token.name} (${created.token.scope})`);
  printFields([
    ["id", created.token.id],
    ["secret", created.secret],
  ]);
  print("  the secret is shown only now: store it (e.g. DARKLAUNCH_TOKEN, or darklaunch login --token …)");
}

async function list(options: { json?: boolean }, command: Command): Promise<void> {
  const { tokens } = await apiOf(command).get<TokenListResponse>(apiPath("tokens"));
  if (options.json) return printJson({ tokens });
  printTable(
    ["id", "name", "scope", "created", "last used", "revoked"],
    tokens.map((t) => [t.id, t.name, t.scope, shortTime(t.createdAt), shortTime(t.lastUsedAt), shortTime(t.revokedAt)]),
    "no tokens",
  );
}

async function revoke(id: string, _options: unknown, command: Command): Promise<void> {
  const { token } = await apiOf(command).send<TokenRevoked>("DELETE", apiPath("tokens", id));
  print(`revoked token ${token.name} (${token.id}, ${token.scope}) at ${shortTime(token.revokedAt)}`);
}

export function registerTokenCommands(program: Command): void {
  const tokens = program.command("tokens").description("API tokens (needs an admin token)");
  tokens
    .command("create")
    .description("Create a token; its secret is printed once")
    .requiredOption("--name <name>", "who or what uses it, e.g. ci or checkout-service")
    .addOption(new Option("--scope <scope>", "what it may do").choices(TOKEN_SCOPES).makeOptionMandatory())
    .addOption(jsonOption())
    .action(create);
  tokens.command("list").description("List tokens (never their secrets)").addOption(jsonOption()).action(list);
  tokens.command("revoke").description("Revoke a token").argument("<id>", "token id (from tokens list)").action(revoke);
}
