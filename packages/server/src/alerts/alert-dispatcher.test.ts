import { TestReceiver } from "@darklaunch/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../store/database.js";
import { migrate } from "../store/migrations.js";
import { STORE_FACTORIES, type TestStore } from "../test-support.js";
import type { StoredDestination } from "./alert.js";
import { AlertDispatcher } from "./alert-dispatcher.js";
import { KyselyAlertStore } from "./kysely-alert-store.js";

describe.each(STORE_FACTORIES)("the alert dispatcher on $name", (factory) => {
  let store: TestStore | undefined;
  let database: Database;
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await TestReceiver.start();
    store = await factory.create();
    if (!store) return;
    database = openDatabase(store.options);
    await migrate(database.db, database.dialect);
  });
  afterAll(async () => {
    await receiver.close();
    if (!store) return;
    await database.close();
    await store.drop();
  });

  const destination = (path: string): StoredDestination => ({
    id: `whd_${factory.name}${path.replace(/\W/g, "")}`,
    name: path,
    url: `${receiver.url}${path}`,
    flag: null,
    severities: ["page"],
    format: "json",
    createdAt: new Date().toISOString(),
    secret: "whsec_test",
  });

  it("drains on close: a delivery waiting for its retry makes one last attempt, logged as failed", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    const alerts = new KyselyAlertStore(database);
    const target = destination(`/${factory.name}/drain`);
    await alerts.createDestination(target, {
      actor: "test",
      action: "alert-destination.create",
      targetType: "alert-destination",
      targetKey: target.id,
    });
    receiver.script(`/${factory.name}/drain`, [500, 500]);
    // A real wait of an hour: only close() can end it.
    let firstLogged!: () => void;
    const waiting = new Promise<void>((resolve) => {
      firstLogged = resolve;
    });
    const dispatcher = new AlertDispatcher(alerts, {
      onAttempt: (_id, attempt) => attempt === 1 && firstLogged(),
      allowPrivate: true,
      retry: { baseDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
      random: () => 1,
    });
    const id = `dlv_${factory.name}_drain`;
    await alerts.createDelivery({
      id,
      destinationId: target.id,
      kind: "verdict",
      flag: null,
      severity: "page",
      dedupKey: null,
      createdAt: new Date().toISOString(),
      alert: { kind: "verdict", severity: "page", state: "REGRESSION", why: "w", numbers: {} },
    });
    const settled = dispatcher.enqueue({ deliveryId: id, destination: target, body: "{}" });
    await waiting;
    await dispatcher.close();
    expect(await settled).toBe("failed");
    const delivery = await alerts.getDelivery(id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 2, lastStatusCode: 500 });
    expect(delivery?.lastError).toBe("answered 500; not retried: the server closed");
    expect(delivery?.log.map((a) => a.error)).toEqual(["answered 500", "answered 500; not retried: the server closed"]);
  });

  it("stops retrying a delivery whose destination was removed", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    const alerts = new KyselyAlertStore(database);
    const target = destination(`/${factory.name}/removed`);
    await alerts.createDestination(target, {
      actor: "test",
      action: "alert-destination.create",
      targetType: "alert-destination",
      targetKey: target.id,
    });
    receiver.script(`/${factory.name}/removed`, [500, 500, 500]);
    const dispatcher = new AlertDispatcher(alerts, {
      allowPrivate: true,
      // The destination is removed while the first retry waits.
      wait: async () => {
        await alerts.deleteDestination(target.id, (before) => ({
          actor: "test",
          action: "alert-destination.delete",
          targetType: "alert-destination",
          targetKey: target.id,
          before,
        }));
      },
    });
    const id = `dlv_${factory.name}_removed`;
    await alerts.createDelivery({
      id,
      destinationId: target.id,
      kind: "verdict",
      flag: null,
      severity: "page",
      dedupKey: null,
      createdAt: new Date().toISOString(),
      alert: { kind: "verdict", severity: "page", state: "REGRESSION", why: "w", numbers: {} },
    });
    expect(await dispatcher.enqueue({ deliveryId: id, destination: target, body: "{}" })).toBe("failed");
    expect(receiver.at(`/${factory.name}/removed`)).toHaveLength(1);
  });

  it("backs off exponentially with full jitter, capped", () => {
    if (!store) return;
    const dispatcher = new AlertDispatcher(new KyselyAlertStore(database), {
      retry: { baseDelayMs: 100, maxDelayMs: 1_000 },
      random: () => 0.999,
    });
    expect([1, 2, 3, 4, 5, 6].map((n) => dispatcher.backoffMs(n))).toEqual([99, 199, 399, 799, 999, 999]);
    const low = new AlertDispatcher(new KyselyAlertStore(database), { retry: { baseDelayMs: 100, maxDelayMs: 1_000 }, random: () => 0 });
    expect(low.backoffMs(4)).toBe(0);
  });
});
