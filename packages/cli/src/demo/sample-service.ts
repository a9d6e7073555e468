import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** `stable` and `secondary` run the current code; `dark` the new one. */
export type ServiceRole = "stable" | "secondary" | "dark";

export interface SampleServiceOptions {
  role: ServiceRole;
  random: () => number;
  /** Share of requests answered 503 from the start: a flaky dependency every version shares. */
  errorRate: number;
  /** Mean of the exponential delay before each answer, in ms. */
  meanDelayMs: number;
}

/** A quote service listening on 127.0.0.1. */
export interface SampleService {
  readonly role: ServiceRole;
  readonly url: string;
  /** Requests answered so far. */
  readonly served: number;
  /** From now on, also fail this share of requests with a 503 (dark's bug). */
  startFailing(extraRate: number): void;
  close(): Promise<void>;
}

/** What a quote holds; `deliveryDays` is the field dark changed, `quotedAt` and `requestId` differ on every call. */
interface Quote {
  sku: string;
  name: string;
  price: number;
  currency: string;
  deliveryDays: number;
  quotedAt: string;
  requestId: string;
}

/** The answer for a SKU: deterministic but for the two noise fields. */
function quoteOf(role: ServiceRole, sku: string): Quote {
  let n = 0;
  for (const ch of sku) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  const standard = 3 + (n % 3);
  return {
    sku,
    name: `Item ${sku}`,
    price: (1000 + (n % 9000)) / 100,
    currency: "EUR",
    // Dark's change: a new warehouse route delivers a third of the items a day sooner.
    deliveryDays: role === "dark" && n % 3 === 0 ? standard - 1 : standard,
    quotedAt: new Date().toISOString(),
    requestId: randomBytes(6).toString("hex"),
  };
}

/** An exponential draw with this mean (1 − u keeps the log away from 0). */
function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

/**
 * Starts one instance of the demo's quote service (`GET /quote/<sku>`) on an ephemeral port. Every
 * instance fails `errorRate` of its requests, so the judge has a base error rate to compare with;
 * dark can be told to fail more.
 */
export async function startSampleService(options: SampleServiceOptions): Promise<SampleService> {
  const { role, random } = options;
  let extra = 0;
  let served = 0;
  const server = createServer((request, response) => {
    request.resume();
    const sku = /^\/quote\/([\w-]{1,64})(?:\?.*)?$/.exec(request.url ?? "")?.[1];
    const delay = Math.floor(exponential(random, options.meanDelayMs));
    const failed = random() < options.errorRate + extra;
    setTimeout(() => {
      served++;
      if (sku === undefined) send(response, 404, { error: "not found: use GET /quote/<sku>" });
      else if (failed) send(response, 503, { error: "inventory service timed out" });
      else send(response, 200, quoteOf(role, sku));
    }, delay);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    role,
    url: `http://127.0.0.1:${port}`,
    get served() {
      return served;
    },
    startFailing(extraRate) {
      extra = extraRate;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
