import { describeRampTarget, type RampEvent, type RampRecord, type VerdictResponse } from "@darklaunch/core";
import { DARK_EXTRA_ERROR_RATE, DEMO_FLAG, DEMO_PLAN, FAIL_AT_STEP } from "./demo-plan.js";
import { bar } from "./progress-line.js";
import type { DemoParts, DemoSettings } from "./start-demo.js";
import type { ReceivedAlert } from "./webhook-receiver.js";

const EVENT_NAMES: Partial<Record<RampEvent["kind"], string>> = {
  start: "ramp started",
  advance: "ramp advanced",
  rollback: "ramp ROLLED BACK",
  complete: "ramp completed",
  alert: "ramp alert",
  extend: "ramp step extended",
};

/** What the demo runs and where to look, printed once everything listens. */
export function introduction(parts: DemoParts, settings: DemoSettings & { untilRollback: boolean }): string[] {
  const port = (url: string) => url.replace(/^http:\/\/127\.0\.0\.1/, "");
  const steps = (list: readonly number[] | undefined) => (list ?? []).join(" → ");
  const lines = [
    `darklaunch demo: a dark launch of ${DEMO_FLAG}, from the first mirrored request to the rollback (seed ${settings.seed})`,
    `  control plane  ${parts.url}  (SQLite ${parts.dbPath}, removed on exit)`,
    `  proxy          ${parts.proxy.url}/quote/<sku>: answers from stable ${port(parts.stable.url)}, mirrors to dark ${port(parts.dark.url)} and secondary ${port(parts.secondary.url)}`,
    `  alerts         signed webhooks to the built-in receiver at ${parts.receiver.url}`,
    `  traffic        ${settings.rate} requests/s from 5000 users (x-user-id); every service fails ~5 % (a flaky dependency they share)`,
    `  the ramp       a minute lasts ${settings.minuteMs / 1000} s; mirror ${steps(DEMO_PLAN.shadowSteps)} %, then serve ${steps(DEMO_PLAN.steps)} %; at step ${FAIL_AT_STEP} dark starts failing ${Math.round(DARK_EXTRA_ERROR_RATE * 100)} % more`,
    "",
  ];
  if (parts.hasDashboard) {
    lines.push(`Open ${parts.url}/flags/${DEMO_FLAG} and sign in with this admin token (it lives as long as the demo):`);
  } else {
    lines.push(
      `The dashboard is not built (npm run build -w @darklaunch/dashboard); the API is at ${parts.url}/api/docs. The admin token (it lives as long as the demo):`,
    );
  }
  lines.push(
    `  ${parts.adminToken}`,
    "Look at: Signals: the judge's verdict and each minute's errors and latency, dark against stable;",
    "  Diffs: deliveryDays differs from stable (dark's change); quotedAt and requestId differ on the secondary too, so they are noise;",
    "  Audit: each step the ramp took and the rollback, with the judge's why.",
    `In another terminal: npx darklaunch --url ${parts.url} --token <the token> ramp status ${DEMO_FLAG}`,
    settings.untilRollback ? "The demo ends after the rollback's alert." : "Ctrl-C stops the demo and removes everything it started.",
    "",
  );
  return lines;
}

/** One event of the ramp's history: what it did and the judge's why. */
export function describeEvent(event: RampEvent, ramp: RampRecord): string {
  const name = EVENT_NAMES[event.kind] ?? `ramp ${event.kind}`;
  const now = event.kind === "start" ? `: ${describeRampTarget(event.target)}` : "";
  const why = event.kind === "start" ? "" : `: ${event.why}`;
  const tail = event.kind === "rollback" ? ` (ramp ${ramp.id})` : "";
  return `${name}${now}${why}${tail}`;
}

/** An alert as the receiver got it, with the signature check's outcome. */
export function describeAlert(received: ReceivedAlert): string[] {
  const { alert } = received;
  const numbers = Object.entries(alert.numbers)
    .map(([name, value]) => `${name} ${Number.isInteger(value) ? value : value.toPrecision(3)}`)
    .join(", ");
  return [
    `alert received by the built-in webhook receiver: ${alert.severity} · ${alert.kind} ${alert.state}${alert.flag === undefined ? "" : ` · ${alert.flag}`} (delivery ${received.deliveryId})`,
    received.verified
      ? "  signature verified: x-darklaunch-signature is the HMAC-SHA256 of its timestamp and the body under the destination's secret"
      : "  signature NOT valid: the receiver answered 401 (the server retries)",
    `  why: ${alert.why}`,
    ...(numbers === "" ? [] : [`  numbers: ${numbers}`]),
  ];
}

/** The live status: where the ramp is, the traffic, and what the judge says about errors. */
export function statusText(parts: DemoParts, ramp: RampRecord, verdict: VerdictResponse | undefined): string {
  const total = ramp.plan.shadowSteps.length + ramp.plan.steps.length;
  const at = stepNumber(ramp);
  const done = ramp.status === "completed" ? total : at - 1;
  const traffic = parts.traffic.counts();
  const errors = verdict?.metrics.find((m) => m.metric === "errors");
  const rate = (r: number | null | undefined) => (r === null || r === undefined ? "-" : `${(r * 100).toFixed(1)}%`);
  const judged =
    errors === undefined
      ? ""
      : ` · 5xx dark ${rate(errors.dark.rate)} vs stable ${rate(errors.baseline.rate)}, harm evidence ${Math.round(errors.harm.e ?? 0)}/${errors.harm.threshold}`;
  const where = ramp.status === "running" ? `step ${at}/${total} ${describeRampTarget(ramp.state.target)}` : ramp.status.replace("_", " ");
  return `${bar(done, total)} ${where} · ${traffic.sent} requests, ${parts.proxy.stats().mirrors.sent} mirrored · judge ${verdict?.state ?? "-"}${judged}`;
}

/** The ramp's step, 1-based in the plan's order (mirror steps, then serve steps). */
export function stepNumber(ramp: Pick<RampRecord, "plan" | "state">): number {
  return (ramp.state.phase === "serve" ? ramp.plan.shadowSteps.length : 0) + ramp.state.step + 1;
}
