/**
 * `npm run bench:judge`: the judge over 1 000 watched flags × 60 minutes of windows (issue #12):
 * CPU time per full pass, against a budget of 1 s. Half the flags are in shadow mode (paired
 * counters), half in split mode ramping 5 → 25 → 50 %; every minute has two routes, latency
 * sketches on both sides and comparisons with a noise reference. Also shown: the same pass
 * starting from the stored windows (`judgeMinutes` merging sketches first), as the server runs it.
 * Business metrics (issue #13): every flag also has three (a critical conversion, a critical revenue
 * value, a watched count), and the pass is timed with and without them in the same run.
 */
import {
  type BusinessMetricDefinition,
  type BusinessMetricInput,
  type BusinessMetricMinute,
  emptyWindow,
  type JudgeMinute,
  judge,
  judgeMinutes,
  type ObservationWindow,
  parseJudgeSettings,
  SKETCH_RELATIVE_ACCURACY,
  type SketchData,
  seededRandom,
} from "@darklaunch/core";

const FLAGS = 1000;
const MINUTES = 60;
const ROUTES = ["GET /cart", "POST /pay"];
const PASSES = 5;
const BUDGET_MS = 1000;
const T0 = 29_000_000;

const random = seededRandom(42);

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
/** Log-normal shape (median 40 ms, σ 0.5) over the sketch's bins, ±4 σ: about 200 bins. */
const SHAPE = (() => {
  const center = Math.log(40) / Math.log(GAMMA);
  const halfWidth = Math.ceil((4 * 0.5) / Math.log(GAMMA));
  const weights: number[] = [];
  for (let i = -halfWidth; i <= halfWidth; i++) weights.push(Math.exp(-0.5 * ((i * Math.log(GAMMA)) / 0.5) ** 2));
  const total = weights.reduce((a, b) => a + b, 0);
  return { offset: Math.round(center) - halfWidth, probabilities: weights.map((w) => w / total) };
})();

/** A sketch of about `n` requests with noisy bin counts, built as JSON (a DDSketch per window would dominate the set-up). */
function sketchOf(n: number): SketchData {
  const bins = SHAPE.probabilities.map((p) => Math.round(n * p * (0.6 + 0.8 * random())));
  const count = bins.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 0; i < bins.length; i++) sum += (bins[i] as number) * GAMMA ** (SHAPE.offset + i);
  return { count, sum, min: GAMMA ** SHAPE.offset, max: GAMMA ** (SHAPE.offset + bins.length), zeroCount: 0, offset: SHAPE.offset, bins };
}

function windowsOf(flag: number): ObservationWindow[] {
  const shadow = flag % 2 === 0;
  const out: ObservationWindow[] = [];
  for (let t = 0; t < MINUTES; t++) {
    const share = t < 20 ? 0.05 : t < 40 ? 0.25 : 0.5;
    for (const route of ROUTES) {
      const w = emptyWindow({ flag: `flag-${flag}`, source: "proxy", route, start: new Date((T0 + t) * 60_000).toISOString() });
      const total = 400 + Math.floor(random() * 400);
      const dark = shadow ? total : Math.round(total * share);
      const base = shadow ? total : total - dark;
      const baseline = sketchOf(base);
      const darkSketch = sketchOf(dark);
      w.baseline = { requests: baseline.count, errors: Math.floor(random() * base * 0.02), latency: baseline, reservoir: [] };
      w.dark = { requests: darkSketch.count, errors: Math.floor(random() * dark * 0.02), latency: darkSketch, reservoir: [] };
      if (shadow) {
        const darkOnly = Math.floor(random() * 5);
        const baseOnly = Math.floor(random() * 5);
        const slower = Math.floor(total * 0.2 * random());
        const faster = Math.floor(total * 0.2 * random());
        w.paired = { bothErr: 1, darkOnlyErr: darkOnly, baseOnlyErr: baseOnly, slower, faster, tie: total - slower - faster };
      }
      const fields = { "body.total": Math.floor(random() * 5), "body.updatedAt": 100 + Math.floor(random() * 20) };
      const noise = { "body.total": Math.floor(random() * 5), "body.updatedAt": 100 + Math.floor(random() * 20) };
      w.comparison = { total: 300, matched: 290, mismatched: 10, noiseTotal: 300, fields, noise };
      out.push(w);
    }
  }
  return out;
}

const BUSINESS: BusinessMetricDefinition[] = [
  { key: "checkout", event: "purchase", kind: "conversion", direction: "up", tolerance: 0.02, critical: true },
  { key: "revenue", event: "purchase", kind: "value", direction: "up", tolerance: 0.02, critical: true },
  { key: "tickets", event: "support-ticket", kind: "count", direction: "down", tolerance: 0.05, critical: false },
];

/** One flag's business minutes: 2 000 – 6 000 exposed subjects a minute on the flag's split, 3 % buying. */
function businessOf(flag: number): BusinessMetricInput[] {
  const shadow = flag % 2 === 0;
  return BUSINESS.map((definition) => {
    const minutes: BusinessMetricMinute[] = [];
    for (let t = 0; t < MINUTES; t++) {
      const share = shadow ? 0.5 : t < 20 ? 0.05 : t < 40 ? 0.25 : 0.5;
      const exposed = 2000 + Math.floor(random() * 4000);
      const arm = (n: number) => {
        const converted = Math.round(n * 0.03 * (0.8 + 0.4 * random()));
        const sum = converted * 50 * (0.8 + 0.4 * random());
        return { exposed: n, converted, events: converted, sum, sumSq: sum * 60 };
      };
      const dark = Math.round(exposed * share);
      minutes.push({ start: new Date((T0 + t) * 60_000).toISOString(), base: arm(exposed - dark), dark: arm(dark) });
    }
    return { definition, minutes };
  });
}

const settings = parseJudgeSettings({});
const genStart = performance.now();
const windows = Array.from({ length: FLAGS }, (_, f) => windowsOf(f));
const shareAt = (start: string) => {
  const t = Math.floor(Date.parse(start) / 60_000) - T0;
  return t < 20 ? 0.05 : t < 40 ? 0.25 : 0.5;
};
const minutes: JudgeMinute[][] = windows.map((ws, f) => judgeMinutes(ws, f % 2 === 0 ? () => 1 : shareAt));
const business: BusinessMetricInput[][] = Array.from({ length: FLAGS }, (_, f) => businessOf(f));
console.log(
  `darklaunch bench:judge — node ${process.version}, ${FLAGS} flags × ${MINUTES} minutes × ${ROUTES.length} routes ` +
    `(${(FLAGS * MINUTES * ROUTES.length).toLocaleString("en")} windows, built in ${((performance.now() - genStart) / 1000).toFixed(1)} s)`,
);

/** CPU milliseconds (user + system) of one call. */
function cpuMs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const states = new Map<string, number>();
function passOverMinutes(withBusiness: boolean): void {
  states.clear();
  for (let f = 0; f < FLAGS; f++) {
    const verdict = judge({ minutes: minutes[f] as JudgeMinute[], business: withBusiness ? business[f] : undefined }, settings);
    states.set(verdict.state, (states.get(verdict.state) ?? 0) + 1);
  }
}
function passOverWindows(): void {
  for (let f = 0; f < FLAGS; f++)
    judge({ minutes: judgeMinutes(windows[f] as ObservationWindow[], f % 2 === 0 ? () => 1 : shareAt) }, settings);
}

passOverMinutes(false); // warm-up
const judged = Array.from({ length: PASSES }, () => cpuMs(() => passOverMinutes(false))).sort((a, b) => a - b);
const withoutStates = [...states];
passOverMinutes(true); // warm-up
const judgedBusiness = Array.from({ length: PASSES }, () => cpuMs(() => passOverMinutes(true))).sort((a, b) => a - b);
passOverWindows(); // warm-up, as for the other passes (the server's judge runs warm)
const fromWindows = Array.from({ length: PASSES }, () => cpuMs(passOverWindows)).sort((a, b) => a - b);
const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] as number;

console.log(`verdicts: ${withoutStates.map(([s, n]) => `${s} ${n}`).join(", ")}`);
console.log(`verdicts with business metrics: ${[...states].map(([s, n]) => `${s} ${n}`).join(", ")}`);
console.log(
  `judge, full pass over per-minute series: median ${median(judged).toFixed(0)} ms CPU ` +
    `(min ${judged[0]?.toFixed(0)}, max ${judged[judged.length - 1]?.toFixed(0)}; ${PASSES} passes), ` +
    `${((median(judged) * 1000) / FLAGS).toFixed(0)} µs per flag — budget ${BUDGET_MS} ms: ${median(judged) < BUDGET_MS ? "met" : "MISSED"}`,
);
console.log(
  `judge with ${BUSINESS.length} business metrics per flag (2 critical, 1 watched): median ${median(judgedBusiness).toFixed(0)} ms CPU ` +
    `(min ${judgedBusiness[0]?.toFixed(0)}, max ${judgedBusiness[judgedBusiness.length - 1]?.toFixed(0)}; ${PASSES} passes), ` +
    `${(median(judgedBusiness) / median(judged)).toFixed(2)}× the pass without them — budget ${BUDGET_MS} ms: ${median(judgedBusiness) < BUDGET_MS ? "met" : "MISSED"}`,
);
console.log(
  `judgeMinutes + judge, full pass from stored windows (held in memory): median ${median(fromWindows).toFixed(0)} ms CPU ` +
    `(min ${fromWindows[0]?.toFixed(0)}, max ${fromWindows[fromWindows.length - 1]?.toFixed(0)}; ${PASSES} passes), ` +
    `${((median(fromWindows) * 1000) / FLAGS).toFixed(0)} µs per flag — budget ${BUDGET_MS} ms: ${median(fromWindows) < BUDGET_MS ? "met" : "MISSED"}`,
);
