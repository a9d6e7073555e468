import type {
  Delivery,
  DeliveryListResponse,
  DeliveryResult,
  DestinationCreated,
  DestinationListResponse,
  DestinationRemoved,
} from "@darklaunch/core";
import { type Command, Option } from "commander";
import { apiPath } from "../client.js";
import { CliError } from "../errors.js";
import { apiOf, collect, jsonOption, parsePositiveInt } from "../options.js";
import { print, printFields, printJson, printTable, shortTime } from "../output.js";

interface AddOptions {
  name?: string;
  flag?: string;
  severity?: string[];
  format?: string;
  json?: boolean;
}

async function add(url: string, options: AddOptions, command: Command): Promise<void> {
  const created = await apiOf(command).send<DestinationCreated>("POST", apiPath("alerts", "destinations"), {
    url,
    name: options.name,
    flag: options.flag,
    severities: options.severity,
    format: options.format,
  });
  if (options.json) return printJson(created);
  const d = created.destination;
  print(`added alert destination ${d.name} (${d.id})`);
  printFields([
    ["url", d.url],
    ["flag", d.flag ?? "(every flag)"],
    ["severities", d.severities.join(", ")],
    ["format", d.format],
    ["secret", created.secret],
  ]);
  print("  the signing secret is shown only now: give it to the receiver to verify x-darklaunch-signature");
}

async function list(options: { json?: boolean }, command: Command): Promise<void> {
  const { destinations } = await apiOf(command).get<DestinationListResponse>(apiPath("alerts", "destinations"));
  if (options.json) return printJson({ destinations });
  printTable(
    ["id", "name", "flag", "severities", "format", "url"],
    destinations.map((d) => [d.id, d.name, d.flag ?? "*", d.severities.join(","), d.format, d.url]),
    "no alert destinations",
  );
}

async function remove(id: string, _options: unknown, command: Command): Promise<void> {
  const { destination } = await apiOf(command).send<DestinationRemoved>("DELETE", apiPath("alerts", "destinations", id));
  print(`removed alert destination ${destination.name} (${destination.id})`);
}

function outcome(d: Delivery): string {
  return d.lastStatusCode === null ? (d.lastError ?? "-") : `HTTP ${d.lastStatusCode}${d.lastError ? ` (${d.lastError})` : ""}`;
}

async function test(id: string, options: { json?: boolean }, command: Command): Promise<void> {
  const { delivery } = await apiOf(command).send<DeliveryResult>("POST", apiPath("alerts", "destinations", id, "test"));
  if (options.json) printJson({ delivery });
  else print(`test alert ${delivery.id} to ${id}: ${delivery.status}, ${outcome(delivery)}`);
  if (delivery.status !== "delivered") throw new CliError(`the destination did not accept the test alert: ${outcome(delivery)}`);
}

async function deliveries(
  options: { destination?: string; flag?: string; limit?: number; json?: boolean },
  command: Command,
): Promise<void> {
  const { deliveries } = await apiOf(command).get<DeliveryListResponse>(apiPath("alerts", "deliveries"), {
    destination: options.destination,
    flag: options.flag,
    limit: options.limit,
  });
  if (options.json) return printJson({ deliveries });
  printTable(
    ["time", "id", "destination", "kind", "flag", "severity", "status", "attempts", "last answer"],
    deliveries.map((d) => [shortTime(d.createdAt), d.id, d.destinationId, d.kind, d.flag, d.severity, d.status, d.attempts, outcome(d)]),
    "no deliveries",
  );
}

/** `darklaunch alerts add|list|remove|test|deliveries`: webhook destinations and their delivery log. */
export function registerAlertCommands(program: Command): void {
  const alerts = program.command("alerts").description("Webhook alerts: destinations, test sends, the delivery log");
  alerts
    .command("add")
    .description("Add a webhook destination; its signing secret is printed once")
    .argument("<url>", "http(s) URL that receives the alerts (private addresses need serve --allow-private-webhooks)")
    .option("--name <name>", "a name for it (default: the URL's host)")
    .option("--flag <key>", "only alerts about this flag (default: every flag)")
    .option("--severity <severity>", "page and/or ticket (repeatable or comma-separated; default both)", collect)
    .addOption(new Option("--format <format>", "body format").choices(["json", "slack"]))
    .addOption(jsonOption())
    .action(add);
  alerts.command("list").description("List webhook destinations (never their secrets)").addOption(jsonOption()).action(list);
  alerts
    .command("remove")
    .description("Remove a webhook destination and its delivery log")
    .argument("<id>", "destination id")
    .action(remove);
  alerts
    .command("test")
    .description("Send a test alert to a destination once and print the outcome (exit 1 when it was not accepted)")
    .argument("<id>", "destination id")
    .addOption(jsonOption())
    .action(test);
  alerts
    .command("deliveries")
    .description("The delivery log, newest first")
    .option("--destination <id>", "only deliveries to this destination")
    .option("--flag <key>", "only alerts about this flag")
    .option("--limit <n>", "at most this many (default 100)", parsePositiveInt)
    .addOption(jsonOption())
    .action(deliveries);
}
