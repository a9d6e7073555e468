import { Command, Option } from "commander";
import { registerAlertCommands } from "./commands/alerts.js";
import { registerAnalyzeCommand } from "./commands/analyze.js";
import { registerAuditCommand } from "./commands/audit.js";
import { registerCheckCommand } from "./commands/check.js";
import { registerConfigCommands } from "./commands/config-as-code.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerEvaluationCommands } from "./commands/evaluations.js";
import { registerFlagCommands } from "./commands/flags.js";
import { registerJudgeCommands } from "./commands/judge.js";
import { registerLaunchCommands } from "./commands/launch.js";
import { registerLoginCommands } from "./commands/login.js";
import { registerMetricCommands } from "./commands/metrics.js";
import { registerObservationCommands } from "./commands/observations.js";
import { registerOverrideCommands } from "./commands/overrides.js";
import { registerProxyCommand } from "./commands/proxy.js";
import { registerRampCommands } from "./commands/ramps.js";
import { registerSegmentCommands } from "./commands/segments.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerTokenCommands } from "./commands/tokens.js";
import { DEFAULT_URL } from "./config.js";

export const VERSION = "0.1.0";

/**
 * The `darklaunch` command with every verb. Errors are thrown (exitOverride), never exit the
 * process here, so main decides the exit code: 0 success, 1 failure, 2 usage.
 *
 * @example
 * await createProgram().parseAsync(["node", "darklaunch", "status", "--json"]);
 */
export function createProgram(): Command {
  const program = new Command("darklaunch")
    .description("Dark launches: serve the control plane, roll flags out to a percentage of subjects, explain and audit every verdict")
    .version(VERSION)
    .addOption(new Option("--url <url>", `server URL (default ${DEFAULT_URL}, or the login profile)`).env("DARKLAUNCH_URL"))
    .addOption(new Option("--token <token>", "API token (or the login profile)").env("DARKLAUNCH_TOKEN"))
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerServeCommand(program);
  registerProxyCommand(program);
  registerDemoCommand(program);
  registerLoginCommands(program);
  registerLaunchCommands(program);
  registerCheckCommand(program);
  registerEvaluationCommands(program);
  registerObservationCommands(program);
  registerFlagCommands(program);
  registerSegmentCommands(program);
  registerOverrideCommands(program);
  registerTokenCommands(program);
  registerAuditCommand(program);
  registerConfigCommands(program);
  registerAlertCommands(program);
  registerAnalyzeCommand(program);
  registerMetricCommands(program);
  registerRampCommands(program);
  registerJudgeCommands(program);
  // Subcommands inherit exitOverride and the help-after-error hint.
  const inherit = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().showHelpAfterError("(run with --help for usage)");
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}
