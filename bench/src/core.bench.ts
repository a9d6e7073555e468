/**
 * `npm run bench:core`: the evaluation core on the 200-flag ruleset (issue #2), plus the reason it has
 * its own MD5: position via our MD5 against position via node:crypto, in the same run.
 */
import { createHash } from "node:crypto";
import { compile, position } from "@darklaunch/core";
import { darklaunchRuleset, isPlain, makeFlagSpecs, makeUsers, ROLLOUT_PERCENT } from "./core-ruleset.js";
import { formatMeasurement, heapMiB, measure } from "./measure.js";

const users = makeUsers();
const specs = makeFlagSpecs();
const betaSets = new Map(specs.map((s) => [s.key, new Set(s.betaIds)]));
const heapBefore = process.memoryUsage().heapUsed;
const compileStart = performance.now();
const snapshot = compile(darklaunchRuleset(specs));
const compileMs = performance.now() - compileStart;
const snapshotMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
const keys = specs.map((s) => s.key);
const contexts = users.map((u) => ({ id: u.id, country: u.country, plan: u.plan }));

console.log(`darklaunch bench:core — node ${process.version}, ${keys.length} flags × ${contexts.length.toLocaleString("en")} users`);
console.log(`compile: ${compileMs.toFixed(1)} ms; snapshot ≈ ${snapshotMiB.toFixed(1)} MiB; heap ${heapMiB()}`);

// Correctness first: one full pass over every (flag, user) pair.
let plain = 0;
let plainIncluded = 0;
let included = 0;
for (const spec of specs) {
  for (let u = 0; u < users.length; u++) {
    const result = snapshot.evaluate(spec.key, contexts[u], false);
    if (result.value === true) included++;
    if (isPlain(users[u]!, spec, betaSets)) {
      plain++;
      if (result.reason !== "ROLLOUT_INCLUDED" && result.reason !== "ROLLOUT_EXCLUDED")
        throw new Error(`plain user decided by ${result.reason}`);
      if (result.value === true) plainIncluded++;
    }
  }
}
const share = (100 * plainIncluded) / plain;
console.log(
  `share of plain users included: ${share.toFixed(3)} % (target ≈ ${ROLLOUT_PERCENT} %; ${plain.toLocaleString("en")} plain pairs); all users included: ${((100 * included) / (keys.length * users.length)).toFixed(2)} %`,
);
if (Math.abs(share - ROLLOUT_PERCENT) > 0.2) throw new Error(`share ${share} is not ≈ ${ROLLOUT_PERCENT} %`);

// Every (flag, user) pair in turn, user-major as a service asks for many flags per request.
let u = 0;
let sink = 0;
const evaluation = measure("evaluate (200 flags, rules + 10 % rollout)", keys.length, () => {
  const ctx = contexts[u]!;
  for (let f = 0; f < keys.length; f++) if (snapshot.evaluate(keys[f]!, ctx, false).value === true) sink++;
  u = u + 1 === contexts.length ? 0 : u + 1;
});

// `matches` runs on RE2 (linear time, issue 11), which costs microseconds where RegExp cost tens of
// nanoseconds: measured apart, since the 200-flag ruleset has no regex.
const regexSnapshot = compile({
  flags: [
    {
      key: "staff-email",
      variants: { on: true, off: false },
      offVariant: "off",
      enabled: true,
      rules: [
        {
          id: "staff",
          conditions: [{ attribute: "email", op: "matches", values: ["^[a-z]+\\.[a-z]+@corp\\.example$"] }],
          serve: { variant: "on" },
        },
      ],
      fallthrough: { variant: "off" },
    },
  ],
});
const emails = users.map((user, n) => ({ id: user.id, email: n % 2 === 0 ? "jane.doe@corp.example" : `user${n}@mail.example` }));
let e = 0;
const regexEvaluation = measure("evaluate a matches rule (RE2)", 1, () => {
  if (regexSnapshot.evaluate("staff-email", emails[e]!, false).value === true) sink++;
  e = e + 1 === emails.length ? 0 : e + 1;
});

const ids = users.map((user) => user.id);
let i = 0;
const ours = measure("position, our MD5", 1_000, () => {
  for (let k = 0; k < 1_000; k++) {
    sink += position(ids[i]!, "flag-042");
    i = i + 1 === ids.length ? 0 : i + 1;
  }
});
const nodeCrypto = measure("position, node:crypto md5", 1_000, () => {
  for (let k = 0; k < 1_000; k++) {
    sink += (createHash("md5").update(`flag-042:${ids[i]!}`).digest().readUInt32BE(0) % 10_000) / 100;
    i = i + 1 === ids.length ? 0 : i + 1;
  }
});

console.log();
for (const m of [evaluation, regexEvaluation, ours, nodeCrypto]) console.log(formatMeasurement(m));
console.log();
console.log(
  `evaluations per second: ${Math.round(evaluation.opsPerSecond).toLocaleString("en")}; ns per evaluation: ${evaluation.nsPerOp.toFixed(1)}`,
);
console.log(`our MD5 position vs node:crypto: ${(nodeCrypto.nsPerOp / ours.nsPerOp).toFixed(2)}× faster`);
console.log("peers (unleash-client, GrowthBook, LaunchDarkly, flagd) on this ruleset, side by side: npm run bench:sdk");
if (sink === -1) console.log("");
