import { JUDGE_STATES, RAMP_STATUSES } from "@darklaunch/core";

/** What `/metrics` shows of one flag under a ramp: its last verdict's numbers. */
export interface FlagMetrics {
  flag: string;
  ramp: string;
  status: string;
  /** Percent of subjects the ramp gives dark now. */
  percentage: number;
  state: string | null;
  metrics: {
    metric: string;
    estimate: number | null;
    harmE: number | null;
    harmThreshold: number;
    safeE: number | null;
    safeThreshold: number | null;
  }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;
}

function number(value: number | null): string {
  if (value === null) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  return String(value);
}

/**
 * The Prometheus text exposition (format 0.0.4) of the flags under ramps: state as one-hot gauges
 * (as kube-state-metrics does), e-values and their thresholds per metric. Small enough not to need
 * a client library.
 */
export function prometheusText(flags: readonly FlagMetrics[]): string {
  const out: string[] = [];
  const family = (name: string, help: string, rows: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...rows);
  };
  family(
    "darklaunch_verdict_state",
    "The judge's last verdict on a flag under a ramp: 1 for its state, 0 for the others",
    flags.flatMap((f) => JUDGE_STATES.map((s) => `darklaunch_verdict_state${labels({ flag: f.flag, state: s })} ${f.state === s ? 1 : 0}`)),
  );
  family(
    "darklaunch_ramp_status",
    "A ramp's status: 1 for its status, 0 for the others",
    flags.flatMap((f) =>
      RAMP_STATUSES.map((s) => `darklaunch_ramp_status${labels({ flag: f.flag, ramp: f.ramp, status: s })} ${f.status === s ? 1 : 0}`),
    ),
  );
  family(
    "darklaunch_ramp_percentage",
    "Percent of subjects the ramp gives dark",
    flags.map((f) => `darklaunch_ramp_percentage${labels({ flag: f.flag, ramp: f.ramp })} ${f.percentage}`),
  );
  const rows = (pick: (m: FlagMetrics["metrics"][number]) => number | null) =>
    flags.flatMap((f) =>
      f.metrics.flatMap((m) => {
        const value = pick(m);
        return value === null && pick === pickSafeThreshold ? [] : [`${labels({ flag: f.flag, metric: m.metric })} ${number(value)}`];
      }),
    );
  family(
    "darklaunch_harm_evalue",
    "Harm e-value of a decision metric (REGRESSION when it reaches the threshold)",
    rows((m) => m.harmE).map((r) => `darklaunch_harm_evalue${r}`),
  );
  family(
    "darklaunch_harm_threshold",
    "Threshold of the harm e-value (K/alpha)",
    rows((m) => m.harmThreshold).map((r) => `darklaunch_harm_threshold${r}`),
  );
  family(
    "darklaunch_safe_evalue",
    "Safe (non-inferiority) e-value of a decision metric",
    rows((m) => m.safeE).map((r) => `darklaunch_safe_evalue${r}`),
  );
  family(
    "darklaunch_safe_threshold",
    "Threshold of the safe e-value (1/alpha)",
    rows(pickSafeThreshold).map((r) => `darklaunch_safe_threshold${r}`),
  );
  family(
    "darklaunch_estimate",
    "dark/baseline ratio estimate of a metric",
    rows((m) => m.estimate).map((r) => `darklaunch_estimate${r}`),
  );
  return `${out.join("\n")}\n`;
}

function pickSafeThreshold(m: FlagMetrics["metrics"][number]): number | null {
  return m.safeThreshold;
}
