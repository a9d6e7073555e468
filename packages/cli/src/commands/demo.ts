import { type Command, InvalidArgumentError, Option } from "commander";
import { DEMO_MINUTE_MS, DEMO_RATE } from "../demo/demo-plan.js";
import { parsePort, parsePositiveInt } from "../options.js";

interface DemoCommandOptions {
  headless?: boolean;
  until?: "rollback";
  port: number;
  seed: number;
  rate: number;
  minuteMs: number;
  timeout: number;
}

function parseSeed(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError(`must be a whole number of at least 0, got ${JSON.stringify(text)}`);
  return value;
}

async function demo(options: DemoCommandOptions): Promise<void> {
  // Loaded when the demo runs: it pulls in the server, the proxy and the SDK, which every other
  // command would otherwise pay for at start-up.
  const { runDemo } = await import("../demo/run-demo.js");
  await runDemo({
    port: options.port,
    seed: options.seed,
    rate: options.rate,
    minuteMs: options.minuteMs,
    untilRollback: options.headless === true || options.until === "rollback",
    plain: options.headless === true,
    timeoutSeconds: options.timeout,
  });
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "Watch a whole dark launch on this machine: control plane and dashboard, stable / dark / secondary sample services, the proxy, traffic, and a ramp on one-second minutes that rolls back when dark starts failing; removes everything on exit",
    )
    .option("--headless", "for CI and scripts: plain status lines, exit 0 after the rollback's alert (implies --until rollback)")
    .addOption(new Option("--until <event>", "exit 0 once this happened instead of running until Ctrl-C").choices(["rollback"]))
    .option("--port <port>", "the control plane's (and dashboard's) port (default 0: a free one)", parsePort, 0)
    .option("--seed <n>", "seed of the users, delays and failures: the same seed replays the same traffic", parseSeed, 1)
    .option("--rate <n>", `requests per second through the proxy (default ${DEMO_RATE})`, parsePositiveInt, DEMO_RATE)
    .option("--minute-ms <ms>", `length of a ramp minute in milliseconds (default ${DEMO_MINUTE_MS})`, parsePositiveInt, DEMO_MINUTE_MS)
    .option(
      "--timeout <seconds>",
      "with --headless / --until rollback: fail (exit 1) after this long without the rollback",
      parsePositiveInt,
      300,
    )
    .action(demo);
}
