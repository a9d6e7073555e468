import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import type { RampRecord } from "@darklaunch/core";
import {
  killProcess,
  STORE_FACTORIES,
  startBackend,
  startServerProcess,
  type TestBackend,
  TestReceiver,
  type TestStore,
} from "@darklaunch/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { BIN } from "./test-cli.js";

// End to end with real processes: the server (`createServer` in its own process, SIGKILLed and
// restarted on the same store), the CLI's `darklaunch proxy`, real stable/secondary/dark backends and
// a real webhook receiver. Minutes are one second (`--minute-ms 1000`), so a ramp runs in seconds;
// the test drives requests at a bounded rate until the ramp reaches the state it waits for.

const MINUTE_MS = 1_000;
const ADMIN = `dl_admin_${randomBytes(16).toString("hex")}`;
/** Each test's deadline for its ramp to get where it waits for. */
const RAMP_DEADLINE_MS = 50_000;

interface Running {
  url: string;
  child: ChildProcess;
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
});

async function server(store: TestStore): Promise<Running> {
  const started = await startServerProcess({
    ...store.options,
    adminToken: ADMIN,
    minuteMs: MINUTE_MS,
    allowPrivateWebhookTargets: true,
  });
  cleanup.push(() => killProcess(started.child));
  return started;
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** `darklaunch proxy` for one flag, shadow mode with a secondary, resolving once it listens. */
async function proxy(
  control: string,
  token: string,
  flag: string,
  backends: { stable: string; secondary: string; dark: string },
): Promise<Running> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "proxy",
      "--flag",
      flag,
      "--stable",
      backends.stable,
      "--secondary",
      backends.secondary,
      "--dark",
      backends.dark,
      "--listen",
      "127.0.0.1:0",
      "--admin-listen",
      "127.0.0.1:0",
      "--max-inflight",
      "1000",
      "--minute-ms",
      String(MINUTE_MS),
    ],
    {
      env: { PATH: process.env.PATH, NODE_NO_WARNINGS: "1", DARKLAUNCH_URL: control, DARKLAUNCH_TOKEN: token },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start: ${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => reject(new Error(`the proxy exited with ${code}: ${output}`)));
  });
  return { url, child };
}

/** A backend answering JSON with a noise field (`requestId`) after 2–20 ms; `fail()` says when to answer 503. */
async function service(name: string, fail: () => boolean = () => false): Promise<TestBackend> {
  const backend = await startBackend((request, response) => {
    const delay = 2 + Math.random() * 18;
    setTimeout(() => {
      const status = fail() ? 503 : 200;
      const text = JSON.stringify({ items: [1, 2, 3], path: request.url, requestId: randomBytes(6).toString("hex") });
      response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
    }, delay);
  });
  cleanup.push(() => backend.close());
  return backend;
}

/**
 * Sends GET requests to `target` (at most `concurrency` at once) until `done` holds for the ramp as
 * the API answers it, polled every 200 ms; fails with the ramp's last state after the deadline.
 */
async function driveUntil(
  target: () => string,
  control: () => string,
  flag: string,
  done: (ramp: RampRecord) => boolean,
  concurrency = 8,
): Promise<RampRecord> {
  const deadline = Date.now() + RAMP_DEADLINE_MS;
  let stop = false;
  let sent = 0;
  const worker = async () => {
    while (!stop) {
      try {
        const response = await fetch(`${target()}/items?n=${sent++}`);
        await response.arrayBuffer();
      } catch {
        // The proxy answers while the server restarts; a refused request only means try again.
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  let last: RampRecord | undefined;
  try {
    while (Date.now() < deadline) {
      try {
        const answer = await api(control(), "GET", `/api/v1/flags/${flag}/ramp`);
        if (answer.status === 200) last = answer.body.ramp as RampRecord;
      } catch {
        // The server is restarting.
      }
      if (last !== undefined && done(last)) return last;
      if (process.env.E2E_DEBUG) console.log(sent, last?.state.target.percentage, last?.state.lastVerdict?.state, last?.state.lastVerdict?.why);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    stop = true;
    await Promise.all(workers);
  }
  throw new Error(
    `after ${sent} requests the ramp is ${last?.status} at ${last?.state.phase} step ${last?.state.step} (${last?.state.target.percentage} %): ${last?.state.statusWhy}; last verdict: ${last?.state.lastVerdict?.why}`,
  );
}

function flagBody(key: string): Record<string, unknown> {
  return {
    key,
    variants: { on: true, off: false },
    offVariant: "off",
    enabled: true,
    fallthrough: {
      split: [
        { variant: "on", weight: 0 },
        { variant: "off", weight: 100 },
      ],
    },
  };
}

/** Steps and times for one-second minutes; see the package README for why the first step is 20 %. */
const PLAN = { steps: [20, 50, 100], minStep: "3m", maxStep: "60m", warmup: "1m" };
const JUDGE_HEALTHY = { critical: ["latencyPaired"] };

for (const factory of STORE_FACTORIES) {
  describe(`a ramp end to end with real processes (${factory.name})`, () => {
    it("ramps a healthy dark (a noise field only) through every step to 100 % through the CLI's proxy", async (ctx) => {
      const store = await factory.create();
      if (!store) return ctx.skip("no Postgres");
      cleanup.push(() => store.drop());
      const control = await server(store);
      const token = (await api(control.url, "POST", "/api/v1/tokens", { name: "proxy", scope: "sdk" })).body.secret as string;
      expect((await api(control.url, "POST", "/api/v1/flags", flagBody("e2e-healthy"))).status).toBe(201);
      const [stable, secondary, dark] = await Promise.all([service("stable"), service("secondary"), service("dark")]);
      const front = await proxy(control.url, token, "e2e-healthy", { stable: stable.url, secondary: secondary.url, dark: dark.url });
      const started = await api(control.url, "POST", "/api/v1/flags/e2e-healthy/ramp", { plan: PLAN, judge: JUDGE_HEALTHY });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const t0 = Date.now();
      const done = await driveUntil(
        () => front.url,
        () => control.url,
        "e2e-healthy",
        (ramp) => ramp.status !== "running",
      );
      console.log(`healthy ramp (${factory.name}) ended ${done.status} in ${Date.now() - t0} ms`);
      expect(done.status, done.state.statusWhy).toBe("completed");
      expect(done.state.history.filter((e) => e.kind === "advance").map((e) => e.target.percentage)).toEqual([50, 100]);
    }, 90_000);
  });
}
