import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type DarkLaunchClient } from "@darklaunch/sdk";
import { createServer, type DarkLaunchServer } from "@darklaunch/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckoutService, FLAGS, startCheckoutService } from "./checkout-service.js";
import { legacyPrice, newPrice } from "./prices.js";

const ADMIN = "dl_admin_example-test-0123456789abcdef";
let dir: string;
let controlPlane: DarkLaunchServer;
let url: string;

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests assert on whatever JSON the API answers
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "darklaunch-example-"));
  controlPlane = await createServer({ sqlitePath: join(dir, "darklaunch.db"), adminToken: ADMIN });
  url = await controlPlane.listen(0, "127.0.0.1");
});
afterAll(async () => {
  await controlPlane?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the price functions", () => {
  it("agree on most carts and differ by a cent where per-line rounding adds up differently", () => {
    const even = [{ sku: "tea", unitCents: 333, quantity: 2 }];
    expect(newPrice(even)).toEqual(legacyPrice(even));
    const halves = [
      { sku: "tea", unitCents: 250, quantity: 1 },
      { sku: "cake", unitCents: 250, quantity: 1 },
    ];
    expect(legacyPrice(halves)).toEqual({ subtotalCents: 500, taxCents: 105, totalCents: 605 });
    expect(newPrice(halves)).toEqual({ subtotalCents: 500, taxCents: 106, totalCents: 606 });
  });
});

describe("the checkout service against a real control plane", () => {
  let client: DarkLaunchClient;
  let service: CheckoutService;

  beforeAll(async () => {
    expect((await api("PUT", `/api/v1/flags/${FLAGS.pricing}/launch`, { percentage: 100 })).status).toBe(201);
    expect((await api("PUT", `/api/v1/flags/${FLAGS.express}/launch`, { percentage: 0 })).status).toBe(201);
    const token = await api("POST", "/api/v1/tokens", { name: "checkout-service", scope: "sdk" });
    client = createClient({ url, token: token.body.secret, telemetry: false, observations: { flushIntervalMs: 60_000 } });
    await client.ready();
    service = await startCheckoutService(client);
  });
  afterAll(async () => {
    await service?.close();
    await client?.close();
  });

  const quote = async (user: string, unitCents: number[]) => {
    const response = await fetch(`${service.url}/quote`, {
      method: "POST",
      body: JSON.stringify({ user, lines: unitCents.map((cents, i) => ({ sku: `p${i}`, unitCents: cents, quantity: 1 })) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the tests assert on whatever JSON the service answers
    return { status: response.status, body: (await response.json()) as any };
  };

  it("answers the legacy price, gates express checkout, refuses a bad cart, and reports the experiment's observations", async () => {
    const errors: unknown[] = [];
    client.on("error", (error) => errors.push(error));
    // Five carts where both functions agree, five where the new one is a cent higher.
    for (let i = 0; i < 5; i++)
      expect((await quote(`u${i}`, [333, 333])).body).toEqual({ ...legacyPrice(lines([333, 333])), express: false });
    for (let i = 5; i < 10; i++)
      expect((await quote(`u${i}`, [250, 250])).body).toEqual({ subtotalCents: 500, taxCents: 105, totalCents: 605, express: false });
    expect(await quote("u0", [])).toMatchObject({ status: 200, body: { totalCents: 0 } });
    expect((await fetch(`${service.url}/quote`, { method: "POST", body: '{"user":""}' })).status).toBe(400);

    // Express checkout goes to everyone once the gate is at 100 %: the change reaches the service.
    const changed = new Promise<void>((resolve) => client.on("change", () => resolve()));
    expect((await api("PUT", `/api/v1/flags/${FLAGS.express}/launch`, { percentage: 100 })).status).toBe(200);
    await changed;
    expect((await quote("u1", [100])).body.express).toBe(true);

    // close() waits for the last candidates and sends what they recorded.
    await service.close();
    await client.close();
    expect(errors).toEqual([]);
    const series = await api("GET", `/api/v1/flags/${FLAGS.pricing}/observations?since=1h&source=sdk`);
    expect(series.status).toBe(200);
    expect(series.body.totals).toMatchObject({
      baseline: { requests: 12, errors: 0 },
      dark: { requests: 12, errors: 0 },
      comparison: { total: 12, matched: 7, mismatched: 5 },
    });
    const mismatches = await api("GET", `/api/v1/flags/${FLAGS.pricing}/mismatches?since=1h`);
    expect(mismatches.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(["body.taxCents", "body.totalCents"]);
  });
});

function lines(unitCents: number[]) {
  return unitCents.map((cents, i) => ({ sku: `p${i}`, unitCents: cents, quantity: 1 }));
}
