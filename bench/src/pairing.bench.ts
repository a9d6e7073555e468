/**
 * `npm run bench:pairing`: how `experiment()` pairs latencies in-process (issue #12). An HTTP
 * service runs `experiment()` on every request (control: the stable backend, candidate: the dark
 * one, both in another process), then does the caller's own work on the answer (a 20 KB JSON
 * response); wrk drives it with 50 connections. For identical backends and for a dark 1, 2 and 5 ms
 * slower, it prints the paired latency counters as recorded and the share of "slower" among the
 * pairs that are not ties: the lean of identical paths (the served control's follow-on work runs
 * before a waiting candidate's callback) beside the power to see a real difference.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createClient } from "@darklaunch/sdk";
import { intKnob } from "./env-knobs.js";
import { firstJsonLine, kill, runCleanups, spawnChild } from "./processes.js";
import { ensureInstalled, runLoad } from "./proxy-load.js";

const SECONDS = intKnob("PAIRING_SECONDS", 8);
const CONNECTIONS = 50;
const EXTRAS_MS = [0, 0, 1, 2, 5];
const PAD = "x".repeat(20_000);

type Counts = { slower: number; faster: number; tie: number };
const zero = (): Counts => ({ slower: 0, faster: 0, tie: 0 });
const share = (c: Counts) => (c.slower + c.faster === 0 ? "—" : `${((100 * c.slower) / (c.slower + c.faster)).toFixed(1)} %`);
const show = (c: Counts) => `${c.slower} slower / ${c.faster} faster / ${c.tie} ties (slower of untied: ${share(c)})`;

async function run(extraMs: number): Promise<{ recorded: Counts; requests: number; rps: number }> {
  const backends = spawnChild(process.execPath, [fileURLToPath(new URL("./pairing-backends.js", import.meta.url)), String(extraMs)]);
  const { stable, dark } = await firstJsonLine<{ stable: string; dark: string }>(backends, "pairing backends");
  const flag = { key: "pairing", enabled: true, variants: { on: true, off: false }, offVariant: "off", fallthrough: { variant: "on" } };
  const client = createClient({ offline: true, bootstrap: { flags: [flag], segments: [], overrides: [] }, telemetry: false });
  const get = async (url: string) => (await fetch(url)).json();
  let n = 0;
  const service = http.createServer(async (_req, res) => {
    const value = await client.experiment("pairing", { id: String(n++) }, { control: () => get(stable), candidate: () => get(dark) });
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ value, pad: PAD }));
  });
  service.listen(0, "127.0.0.1");
  await once(service, "listening");
  const load = await runLoad("wrk", `http://127.0.0.1:${(service.address() as AddressInfo).port}/`, CONNECTIONS, SECONDS);
  service.close();
  await client.close();
  const recorded = zero();
  for (const w of client.observations.drain()) {
    recorded.slower += w.paired?.slower ?? 0;
    recorded.faster += w.paired?.faster ?? 0;
    recorded.tie += w.paired?.tie ?? 0;
  }
  await kill(backends);
  return { recorded, requests: load.requests, rps: load.reqPerSec };
}

if (!ensureInstalled("wrk", "wrk")) {
  console.error("bench:pairing needs wrk (apt-get install wrk)");
  process.exit(1);
}
console.log(
  `darklaunch bench:pairing — node ${process.version}; wrk ${CONNECTIONS} connections × ${SECONDS} s per case; backends answer in 1–4 ms`,
);
try {
  for (const extraMs of EXTRAS_MS) {
    const { recorded, requests, rps } = await run(extraMs);
    console.log(`dark +${extraMs} ms: ${show(recorded)} — ${requests} requests, ${rps.toFixed(0)}/s`);
  }
} finally {
  await runCleanups();
}
