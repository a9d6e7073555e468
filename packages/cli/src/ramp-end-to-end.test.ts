import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { RampRecord } from "@darklaunch/core";
import { verifySignature } from "@darklaunch/server";
import {
  killProcess,
  releaseFlag,
  STORE_FACTORIES,
  startBackend,
  startServerProcess,
  type TestBackend,
  TestReceiver,
  type TestStore,
} from "@darklaunch/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { BIN } from "./test-cli.js";
import { apiAs, auditEntry, listening as listeningFor, serviceProcess, waitFor } from "./test-processes.js";

// End to end with real processes: the server (`createServer` in its own process, SIGKILLed and
// restarted on the same store), the CLI's `darklaunch proxy`, real stable/secondary/dark backends and
// a real webhook receiver. Minutes are one second (`--minute-ms 1000`), so a ramp runs in seconds;
// the test drives requests at a bounded rate until the ramp reaches the state it waits for.

const MINUTE_MS = 1_000;
const ADMIN = `dl_admin_${randomBytes(16).toString("hex")}`;
/** Each test's deadline for its ramp to get where it waits for. */
const RAMP_DEADLINE_MS = 50_000;

const api = (base: string, method: string, path: string, body?: unknown) => apiAs(ADMIN, base, method, path, body);
const listening = (child: ChildProcess, what: string) => listeningFor(child, what, cleanup);

interface Running {
  url: string;
  child: ChildProcess;
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
});

async function server(store: TestStore, port = 0): Promise<Running> {
  const started = await startServerProcess(
    {
      ...store.options,
      adminToken: ADMIN,
      minuteMs: MINUTE_MS,
      allowPrivateWebhookTargets: true,
    },
    port,
  );
  cleanup.push(() => killProcess(started.child));
  return started;
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
  return { url: await listening(child, "the proxy"), child };
}

/** A backend answering JSON with a noise field (`requestId`) after 2–20 ms; `fail()` says when to answer 503 instead. */
async function service(fail: () => boolean = () => false): Promise<TestBackend> {
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
      if (process.env.E2E_DEBUG)
        console.log(sent, last?.state.target.percentage, last?.state.lastVerdict?.state, last?.state.lastVerdict?.why);
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

/**
 * A small service in its own process that answers each request through the SDK's `experiment()`:
 * the control calls `stable`, the candidate `dark` (a 5xx is a candidate error), the noise field
 * ignored. It is given no minute: its client learns the server's from the first report's answer.
 */
async function experimentService(
  control: string,
  token: string,
  flag: string,
  backends: { stable: string; dark: string },
): Promise<Running> {
  const script = `
    import { createServer } from "node:http";
    import { createClient } from "@darklaunch/sdk";
    const client = createClient({ url: ${JSON.stringify(control)}, token: ${JSON.stringify(token)}, telemetry: false,
      observations: { flushIntervalMs: 250 } });
    await client.ready();
    const get = async (url, signal) => {
      const response = await fetch(url, { signal });
      if (response.status >= 500) throw new Error("answered " + response.status);
      return response.json();
    };
    let n = 0;
    const server = createServer(async (request, response) => {
      try {
        const value = await client.experiment(${JSON.stringify(flag)}, { id: "user-" + n++ }, {
          control: () => get(${JSON.stringify(backends.stable)} + request.url),
          candidate: (signal) => get(${JSON.stringify(backends.dark)} + request.url, signal),
          ignore: ["body.requestId"],
          timeoutMs: 5000,
        });
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(value));
      } catch (error) {
        response.writeHead(502).end(String(error));
      }
    });
  `;
  return serviceProcess(script, "the experiment service", cleanup);
}

/** A server on a fresh store, a flag, its backends and in front of them the CLI's proxy or a service using `experiment()`. */
async function setUp(store: TestStore, flag: string, front: "proxy" | "experiment", darkFails: () => boolean = () => false) {
  const control = await server(store);
  const token = (await api(control.url, "POST", "/api/v1/tokens", { name: "reporter", scope: "sdk" })).body.secret as string;
  expect((await api(control.url, "POST", "/api/v1/flags", releaseFlag(flag, 0))).status).toBe(201);
  const [stable, secondary, dark] = await Promise.all([service(), service(), service(darkFails)]);
  return {
    control,
    front:
      front === "proxy"
        ? await proxy(control.url, token, flag, { stable: stable.url, secondary: secondary.url, dark: dark.url })
        : await experimentService(control.url, token, flag, { stable: stable.url, dark: dark.url }),
  };
}

/** Steps and times for one-second minutes; see the package README for why the first step is 20 %. */
const PLAN = { steps: [20, 50, 100], minStep: "3m", maxStep: "60m", warmup: "1m" };
const JUDGE_HEALTHY = { critical: ["latencyPaired"] };
/** Through experiment(): the paired-latency tolerance of the SDK README's "Paired latency in-process". */
const IN_PROCESS_TOLERANCES = { latencyPaired: 1.5, safe: 2 };
const VIA = { proxy: "through the CLI's proxy", experiment: "through experiment() in a service" };

for (const factory of STORE_FACTORIES) {
  describe(`a ramp end to end with real processes (${factory.name})`, () => {
    for (const via of ["proxy", "experiment"] as const) {
      // Through experiment() a healthy candidate leans "slower" on a loaded machine (the served
      // control's follow-on work runs first): the service gets the paired-latency tolerance the SDK
      // README ("Paired latency in-process") gives for that, which a lean like the old turn-late
      // start (37 slower to 14 faster) still fails. With the default of 1 it is opt-in:
      // DARKLAUNCH_E2E_EXPERIMENT_HEALTHY=1.
      const inProcessLean = via === "experiment" && process.env.DARKLAUNCH_E2E_EXPERIMENT_HEALTHY !== "1";
      const judgeHealthy = inProcessLean ? { ...JUDGE_HEALTHY, tolerances: IN_PROCESS_TOLERANCES } : JUDGE_HEALTHY;
      // The failing dark is rolled back for its errors; through experiment() the same lean once
      // rolled it back on paired latency first (144 slower to 93 faster on a loaded machine).
      const judgeFailing = {
        critical: ["errors", "latencyPaired"],
        ...(inProcessLean ? { tolerances: IN_PROCESS_TOLERANCES } : {}),
      };
      it(`ramps a healthy dark (a noise field only) through every step to 100 % (${VIA[via]})`, async (ctx) => {
        const store = await factory.create();
        if (!store) return ctx.skip("no Postgres");
        cleanup.push(() => store.drop());
        const { control, front } = await setUp(store, "e2e-healthy", via);
        const started = await api(control.url, "POST", "/api/v1/flags/e2e-healthy/ramp", { plan: PLAN, judge: judgeHealthy });
        expect(started.status, JSON.stringify(started.body)).toBe(201);
        const t0 = Date.now();
        const done = await driveUntil(
          () => front.url,
          () => control.url,
          "e2e-healthy",
          (ramp) => ramp.status !== "running",
        );
        console.log(`healthy ramp (${factory.name}, ${via}) ended ${done.status} in ${Date.now() - t0} ms`);
        expect(done.status, done.state.statusWhy).toBe("completed");
        expect(done.state.history.filter((e) => e.kind === "advance").map((e) => e.target.percentage)).toEqual([50, 100]);
        const verdicts = await api(control.url, "GET", "/api/v1/flags/e2e-healthy/ramp/verdicts?limit=1000");
        expect(verdicts.body.verdicts.filter((v: { state: string }) => v.state === "SAFE").length).toBeGreaterThanOrEqual(2);
      }, 90_000);

      it(`rolls a dark that answers 5xx to 3 % of requests at step 3 back, audited as ramp:<id> with the why, and pages a real receiver once, signed (${VIA[via]})`, async (ctx) => {
        const store = await factory.create();
        if (!store) return ctx.skip("no Postgres");
        cleanup.push(() => store.drop());
        let failing = false;
        const { control, front } = await setUp(store, "e2e-failing", via, () => failing && Math.random() < 0.03);
        const receiver = await TestReceiver.start();
        cleanup.push(() => receiver.close());
        const destination = await api(control.url, "POST", "/api/v1/alerts/destinations", {
          url: `${receiver.url}/pages`,
          flag: "e2e-failing",
          severities: ["page"],
        });
        expect(destination.status, JSON.stringify(destination.body)).toBe(201);
        // Errors must be critical to roll back; a baseline that never errs cannot prove dark's errors
        // safe (the judge's rule), so the operator promotes the first two steps by hand.
        const started = await api(control.url, "POST", "/api/v1/flags/e2e-failing/ramp", {
          plan: { ...PLAN, steps: [10, 20, 50, 100] },
          judge: judgeFailing,
        });
        expect(started.status, JSON.stringify(started.body)).toBe(201);
        const id = started.body.ramp.id as string;
        // A promote that meets the runner's write of the same minute is refused (409, compare-and-set): read again, retry.
        const promoteBy = Date.now() + 20_000;
        while ((await api(control.url, "GET", "/api/v1/flags/e2e-failing/ramp")).body.ramp.state.step < 2) {
          if (Date.now() > promoteBy) throw new Error("the ramp could not be promoted to step 3");
          const promoted = await api(control.url, "POST", "/api/v1/flags/e2e-failing/ramp/promote", {
            reason: "steps 1 and 2 checked by hand",
          });
          expect([200, 409], JSON.stringify(promoted.body)).toContain(promoted.status);
        }
        const t0 = Date.now();
        const done = await driveUntil(
          () => front.url,
          () => control.url,
          "e2e-failing",
          (ramp) => {
            if (ramp.state.step >= 2) failing = true;
            return ramp.status !== "running";
          },
        );
        console.log(`failing ramp (${factory.name}, ${via}) ended ${done.status} in ${Date.now() - t0} ms: ${done.state.statusWhy}`);
        expect(done.status, done.state.statusWhy).toBe("rolled_back");
        const rollback = await auditEntry(ADMIN, control.url, "e2e-failing", "ramp.rollback");
        expect(rollback.actor).toBe(`ramp:${id}`);
        expect((rollback.after as { why: string }).why).toMatch(/errors/);
        const deliveries = await waitFor(
          "the page's delivery",
          async () => (await api(control.url, "GET", "/api/v1/alerts/deliveries?flag=e2e-failing")).body.deliveries as { status: string }[],
          (d) => d.length > 0 && d.every((x) => x.status !== "pending"),
        );
        expect(deliveries.map((d) => d.status)).toEqual(["delivered"]);
        const pages = receiver.at("/pages");
        expect(pages).toHaveLength(1);
        const page = pages[0];
        expect(verifySignature(destination.body.secret, page?.body ?? "", String(page?.headers["x-darklaunch-signature"]))).toBe(true);
        expect(verifySignature(destination.body.secret, `${page?.body} `, String(page?.headers["x-darklaunch-signature"]))).toBe(false);
        expect(JSON.parse(page?.body ?? "{}").alert).toMatchObject({
          kind: "verdict",
          flag: "e2e-failing",
          severity: "page",
          state: "REGRESSION",
        });
      }, 90_000);

      it(`goes on where it was when the server is SIGKILLed mid-ramp and restarted on the same store (${VIA[via]})`, async (ctx) => {
        const store = await factory.create();
        if (!store) return ctx.skip("no Postgres");
        cleanup.push(() => store.drop());
        const set = await setUp(store, "e2e-restart", via);
        let control = set.control;
        const started = await api(control.url, "POST", "/api/v1/flags/e2e-restart/ramp", { plan: PLAN, judge: judgeHealthy });
        expect(started.status, JSON.stringify(started.body)).toBe(201);
        const id = started.body.ramp.id as string;
        const t0 = Date.now();
        const midway = await driveUntil(
          () => set.front.url,
          () => control.url,
          "e2e-restart",
          (ramp) => ramp.state.step >= 1 || ramp.status !== "running",
        );
        expect(midway.status).toBe("running");
        await killProcess(control.child);
        control = await server(store, Number(new URL(control.url).port));
        const done = await driveUntil(
          () => set.front.url,
          () => control.url,
          "e2e-restart",
          (ramp) => ramp.status !== "running",
        );
        console.log(`restarted ramp (${factory.name}, ${via}) ended ${done.status} in ${Date.now() - t0} ms`);
        expect(done.id).toBe(id);
        expect(done.status, done.state.statusWhy).toBe("completed");
        // Step 1 was passed once, before the kill: the ramp went on from step 2, not from the start.
        expect(done.state.history.filter((e) => e.kind === "advance").map((e) => e.target.percentage)).toEqual([50, 100]);
      }, 120_000);
    }
  });
}
