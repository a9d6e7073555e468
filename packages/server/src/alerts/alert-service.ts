import { randomBytes } from "node:crypto";
import { DestinationCreateRequestSchema } from "@darklaunch/core";
import { badField, NotFoundError } from "../errors.js";
import type { FlagService } from "../flags/flag-service.js";
import { parse } from "../http.js";
import {
  type Alert,
  AlertSchema,
  type Delivery,
  type Destination,
  dedupKeyOf,
  publicDestination,
  type StoredDestination,
} from "./alert.js";
import type { AlertDispatcher } from "./alert-dispatcher.js";
import type { AlertStore, DeliveryQuery } from "./alert-store.js";
import { renderBody } from "./webhook-body.js";
import { newSigningSecret } from "./webhook-signature.js";
import { checkWebhookTarget, WebhookTargetError } from "./webhook-target.js";

/** The body of `POST /alerts/destinations` (core's protocol schema). */
export const DestinationInputSchema = DestinationCreateRequestSchema;

export interface AlertServiceOptions {
  /** Let destinations point at private, loopback and link-local addresses (default false). */
  allowPrivateTargets?: boolean | undefined;
  /** An alert with the same de-duplication key is sent to a destination once per window (default 1 h). */
  dedupWindowMs?: number | undefined;
  now?: (() => number) | undefined;
}

/** What `notify` did: one delivery per destination that takes the alert, or why it was not sent. */
export interface NotifyResult {
  deliveries: { destinationId: string; deliveryId: string }[];
  /** Destinations that already got this de-duplication key within the window. */
  deduplicated: string[];
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString("hex")}`;
}

/**
 * Webhook alerts: destinations (global or per flag), and the alerts sent to them. `notify` is what
 * the judge and the ramps call; it records a delivery per destination that takes the alert and
 * hands it to the dispatcher, which sends it off the request path.
 *
 * @example
 * await alerts.notify({ kind: "verdict", flag: "checkout-v2", severity: "page", state: "REGRESSION",
 *   why: "dark errors 2.1 % vs 1.0 % on 2 480 paired requests; evidence 41 ≥ 40 → rollback" });
 */
export class AlertService {
  private readonly allowPrivate: boolean;
  private readonly dedupWindowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: AlertStore,
    private readonly flags: FlagService,
    private readonly dispatcher: AlertDispatcher,
    options: AlertServiceOptions = {},
  ) {
    this.allowPrivate = options.allowPrivateTargets ?? false;
    this.dedupWindowMs = options.dedupWindowMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
  }

  /** Creates a destination; the signing secret is in this answer only. */
  async createDestination(input: unknown, actor: string): Promise<{ destination: Destination; secret: string }> {
    const body = parse(DestinationInputSchema, input, "destination");
    try {
      await checkWebhookTarget(body.url, this.allowPrivate);
    } catch (error) {
      if (error instanceof WebhookTargetError) throw badField("url", error.message, "destination");
      throw error;
    }
    if (body.flag !== undefined) {
      try {
        await this.flags.get(body.flag);
      } catch (error) {
        if (error instanceof NotFoundError) throw badField("flag", `flag "${body.flag}" does not exist`, "destination");
        throw error;
      }
    }
    const stored: StoredDestination = {
      id: newId("whd"),
      name: body.name ?? new URL(body.url).host,
      url: body.url,
      flag: body.flag ?? null,
      severities: [...new Set(body.severities)],
      format: body.format,
      createdAt: new Date(this.now()).toISOString(),
      secret: newSigningSecret(),
    };
    const destination = publicDestination(stored);
    await this.store.createDestination(stored, {
      actor,
      action: "alert-destination.create",
      targetType: "alert-destination",
      targetKey: stored.id,
      after: destination,
    });
    return { destination, secret: stored.secret };
  }

  async listDestinations(): Promise<Destination[]> {
    return (await this.store.listDestinations()).map(publicDestination);
  }

  async removeDestination(id: string, actor: string): Promise<Destination> {
    const removed = await this.store.deleteDestination(id, (before) => ({
      actor,
      action: "alert-destination.delete",
      targetType: "alert-destination",
      targetKey: id,
      before,
    }));
    if (!removed) throw new NotFoundError("alert destination", id);
    return removed;
  }

  /**
   * Sends a test alert to one destination, once (no retries, no de-duplication), and answers with
   * the outcome: a person running it wants to know whether the destination works now.
   */
  async test(id: string, actor: string): Promise<Delivery> {
    const destination = await this.store.getDestination(id);
    if (!destination) throw new NotFoundError("alert destination", id);
    const alert = AlertSchema.parse({
      kind: "test",
      severity: destination.severities[0] ?? "ticket",
      state: "TEST",
      why: `a test alert sent by ${actor} to check that "${destination.name}" receives and verifies darklaunch webhooks`,
    });
    const deliveryId = await this.deliver(destination, alert, null, 1);
    await this.dispatcher.settled(deliveryId);
    return this.delivery(deliveryId);
  }

  /**
   * Sends an alert to every destination that takes it: global ones and the alert's flag's, whose
   * severities include the alert's. Returns once the deliveries are recorded; sending happens
   * after. A bad alert throws a ValidationError naming the field.
   */
  async notify(input: unknown): Promise<NotifyResult> {
    const alert = parse(AlertSchema, input, "alert");
    const destinations =
      alert.flag === undefined
        ? (await this.store.listDestinations()).filter((d) => d.flag === null)
        : await this.store.listDestinations(alert.flag);
    const result: NotifyResult = { deliveries: [], deduplicated: [] };
    const key = dedupKeyOf(alert);
    const nowMs = this.now();
    for (const destination of destinations) {
      if (!destination.severities.includes(alert.severity)) continue;
      const fresh = await this.store.claimDedup(
        destination.id,
        key,
        new Date(nowMs).toISOString(),
        new Date(nowMs + this.dedupWindowMs).toISOString(),
      );
      if (!fresh) {
        result.deduplicated.push(destination.id);
        continue;
      }
      result.deliveries.push({ destinationId: destination.id, deliveryId: await this.deliver(destination, alert, key) });
    }
    return result;
  }

  async deliveries(query: DeliveryQuery): Promise<Delivery[]> {
    return this.store.listDeliveries(query);
  }

  async delivery(id: string): Promise<Delivery> {
    const found = await this.store.getDelivery(id);
    if (!found) throw new NotFoundError("alert delivery", id);
    return found;
  }

  /** The final status of a delivery: at once when it is no longer being sent. */
  async settled(id: string): Promise<Delivery> {
    await this.dispatcher.settled(id);
    return this.delivery(id);
  }

  /** Drains the dispatcher (see AlertDispatcher.close). */
  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private async deliver(destination: StoredDestination, alert: Alert, dedupKey: string | null, maxAttempts?: number): Promise<string> {
    const id = newId("dlv");
    const createdAt = new Date(this.now()).toISOString();
    await this.store.createDelivery({
      id,
      destinationId: destination.id,
      kind: alert.kind,
      flag: alert.flag ?? null,
      severity: alert.severity,
      dedupKey,
      createdAt,
      alert,
    });
    const body = renderBody(destination.format, id, createdAt, alert);
    void this.dispatcher.enqueue({ deliveryId: id, destination, body, ...(maxAttempts === undefined ? {} : { maxAttempts }) });
    return id;
  }
}
