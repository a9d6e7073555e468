import { INCONCLUSIVE_POLICIES, type RampControlName, type RampRecord, type RampResponse, type RampStartRequest } from "@darklaunch/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import { apiPath } from "../client.js";
import { apiOf, jsonOption } from "../options.js";
import { print, printFields, printJson, printTable, shortTime } from "../output.js";

/** `--steps 1,5,25,50,100`. */
function parseSteps(text: string): number[] {
  const steps = text.split(",").map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((s) => !Number.isFinite(s))) {
    throw new InvalidArgumentError(`must be comma-separated percentages such as 1,5,25,50,100, got ${JSON.stringify(text)}`);
  }
  return steps;
}

/** The judge settings the ramp sets itself or takes from its flag (the plan's and the defaults go unsaid). */
function judgeText(ramp: RampRecord): string {
  const { settings, sources } = ramp.judgeEffective;
  const shown = Object.entries(sources)
    .filter(([, source]) => source === "ramp" || source === "flag")
    .map(([path, source]) => {
      const value = path.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], settings);
      return `${path} ${Array.isArray(value) ? value.join(",") : String(value)} (${source})`;
    });
  return shown.length === 0 ? "defaults" : shown.join("; ");
}

function describe(ramp: RampRecord): void {
  const { state, plan } = ramp;
  const steps = state.phase === "shadow" ? plan.shadowSteps : plan.steps;
  printFields([
    ["ramp", `${ramp.id} on ${ramp.flag}`],
    ["status", state.status],
    ["step", `${state.phase} step ${state.step + 1} of ${steps.length}: ${state.target.percentage} %`],
    ["step started", shortTime(new Date(state.stepStartedAt).toISOString())],
    ["why", state.statusWhy],
    ["last verdict", state.lastVerdict === null ? "-" : `${state.lastVerdict.state}: ${state.lastVerdict.why}`],
    [
      "plan",
      `steps ${plan.steps.join(", ")} %; min ${plan.minStep}m, max ${plan.maxStep}m, warm-up ${plan.warmup}m; on inconclusive ${plan.onInconclusive}`,
    ],
    ["judge", judgeText(ramp)],
    ["run by", ramp.lease === null ? "-" : `${ramp.lease.owner} (lease until ${shortTime(ramp.lease.expiresAt)})`],
  ]);
  print();
  printTable(
    ["time", "event", "target", "by", "why"],
    state.history
      .slice(-10)
      .map((e) => [shortTime(new Date(e.at).toISOString()), e.kind, `${e.target.phase} ${e.target.percentage} %`, e.by, e.why]),
    "no events",
  );
}

interface StartOptions {
  steps?: number[];
  min?: string;
  max?: string;
  warmup?: string;
  onInconclusive?: string;
  darkBuild?: string;
  json?: boolean;
}

async function start(flag: string, options: StartOptions, command: Command): Promise<void> {
  const plan: Record<string, unknown> = {};
  if (options.steps !== undefined) plan.steps = options.steps;
  if (options.min !== undefined) plan.minStep = options.min;
  if (options.max !== undefined) plan.maxStep = options.max;
  if (options.warmup !== undefined) plan.warmup = options.warmup;
  if (options.onInconclusive !== undefined) plan.onInconclusive = options.onInconclusive;
  const body: RampStartRequest = { plan: plan as RampStartRequest["plan"], ...(options.darkBuild ? { darkBuild: options.darkBuild } : {}) };
  const { ramp } = await apiOf(command).send<RampResponse>("POST", apiPath("flags", flag, "ramp"), body);
  if (options.json) return printJson({ ramp });
  print(`started ramp ${ramp.id} on ${flag}: ${ramp.state.statusWhy}`);
}

async function status(flag: string, options: { json?: boolean }, command: Command): Promise<void> {
  const { ramp } = await apiOf(command).get<RampResponse>(apiPath("flags", flag, "ramp"));
  if (options.json) return printJson({ ramp });
  describe(ramp);
}

function control(action: RampControlName) {
  return async (flag: string, options: { reason?: string; keepFlag?: boolean; json?: boolean }, command: Command): Promise<void> => {
    const body = { ...(options.reason ? { reason: options.reason } : {}), ...(options.keepFlag ? { keepFlag: true } : {}) };
    const { ramp } = await apiOf(command).send<RampResponse>("POST", apiPath("flags", flag, "ramp", action), body);
    if (options.json) return printJson({ ramp });
    const last = ramp.state.history[ramp.state.history.length - 1];
    print(`${ramp.flag}: ${ramp.status}; ${last?.why ?? ramp.state.statusWhy}`);
  };
}

/** `darklaunch ramp start|status|pause|resume|abort|promote|dismiss`. */
export function registerRampCommands(program: Command): void {
  const ramp = program.command("ramp").description("Ramp a flag step by step on the judge's verdicts, with rollback");
  ramp
    .command("start")
    .description("Start a ramp: each step advances when the judge calls it SAFE, a critical regression rolls back")
    .argument("<flag>", "flag key")
    .option("--steps <list>", "percentages served from dark (default 1,5,25,50,100)", parseSteps)
    .option("--min <duration>", "minimum time per step (default 10m)")
    .option("--max <duration>", "maximum time per step (default 1h)")
    .option("--warmup <duration>", "minutes after each step change shown but not acted on (default 2m)")
    .addOption(
      new Option("--on-inconclusive <policy>", "what to do when a step reaches --max undecided (default hold)").choices([
        ...INCONCLUSIVE_POLICIES,
      ]),
    )
    .option("--dark-build <id>", "the dark build ramped (evidence carries across the steps of one build)")
    .addOption(jsonOption())
    .action(start);
  ramp
    .command("status")
    .description("The flag's ramp: step, why, last verdict, recent events")
    .argument("<flag>", "flag key")
    .addOption(jsonOption())
    .action(status);
  for (const [action, description] of [
    ["pause", "Stop acting on verdicts; the flag stays where it is"],
    ["resume", "Run a paused ramp again; its step starts over"],
    ["abort", "End the ramp and set the flag to 0 (--keep-flag leaves it)"],
    ["promote", "Go to the next step now, whatever the judge says"],
  ] as const) {
    const verb = ramp
      .command(action)
      .description(description)
      .argument("<flag>", "flag key")
      .option("--reason <text>", "why, for the audit log");
    if (action === "abort") verb.option("--keep-flag", "leave the flag at its current percentage");
    verb.addOption(jsonOption()).action(control(action));
  }
  ramp
    .command("dismiss")
    .description("Dismiss the last verdict (a non-critical REGRESSION, UNHEALTHY or INSUFFICIENT): the step then ends by time and policy")
    .argument("<flag>", "flag key")
    .requiredOption("--reason <text>", "why it may be ignored (recorded in the ramp and the audit log)")
    .addOption(jsonOption())
    .action(control("dismiss"));
}
