import { Agent, request } from "node:http";

export interface TrafficOptions {
  /** The proxy's base URL. */
  target: string;
  /** Requests per second. */
  rate: number;
  random: () => number;
  /** Distinct users (the `x-user-id` the flag buckets on) and items. */
  users?: number;
  skus?: number;
  /** Requests in flight at most; beyond it a tick sends fewer (the machine is the limit, not the plan). */
  maxInflight?: number;
}

/** What the generator saw so far. */
export interface TrafficCounts {
  sent: number;
  ok: number;
  /** Answers with a 5xx status. */
  serverErrors: number;
  /** Other statuses, and requests that got no answer at all. */
  other: number;
}

export interface TrafficGenerator {
  counts(): TrafficCounts;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

const TICK_MS = 20;

/**
 * Sends `GET /quote/<sku>` with an `x-user-id` header to the proxy at a steady rate (open loop: the
 * schedule does not wait for answers), users and items drawn from the seeded generator.
 */
export function startTraffic(options: TrafficOptions): TrafficGenerator {
  const users = options.users ?? 5000;
  const skus = options.skus ?? 300;
  const maxInflight = options.maxInflight ?? 200;
  const counts: TrafficCounts = { sent: 0, ok: 0, serverErrors: 0, other: 0 };
  const inflight = new Set<Promise<void>>();
  const started = Date.now();
  let stopped = false;
  // Requests the schedule has handed out: sent, or skipped while too many were in flight.
  let scheduled = 0;

  // node:http with kept-alive sockets: a fraction of fetch's cost per request, which the proxy and the services need more.
  const agent = new Agent({ keepAlive: true, maxSockets: maxInflight });
  const target = new URL(options.target);
  const one = () =>
    new Promise<void>((resolve) => {
      const user = `user-${Math.floor(options.random() * users)}`;
      const sku = `sku-${Math.floor(options.random() * skus)}`;
      let settled = false;
      const settle = (status: number) => {
        if (settled) return;
        settled = true;
        if (status >= 500) counts.serverErrors++;
        else if (status >= 200 && status < 300) counts.ok++;
        else counts.other++;
        resolve();
      };
      const call = request(
        { agent, host: target.hostname, port: target.port, path: `/quote/${sku}`, headers: { "x-user-id": user } },
        (response) => {
          response.resume();
          response.on("end", () => settle(response.statusCode ?? 0));
          response.on("error", () => settle(0));
        },
      );
      call.on("error", () => settle(0));
      call.end();
    });

  const timer = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((Date.now() - started) / 1000) * options.rate);
    // A machine too slow for the rate skips what it could not send instead of bursting later.
    for (; scheduled < due; scheduled++) {
      if (inflight.size >= maxInflight) continue;
      counts.sent++;
      const request = one().finally(() => inflight.delete(request));
      inflight.add(request);
    }
  }, TICK_MS);

  return {
    counts: () => ({ ...counts }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...inflight]);
      agent.destroy();
    },
  };
}
