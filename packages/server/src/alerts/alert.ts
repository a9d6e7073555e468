import { KeySchema } from "@darklaunch/core";
import { z } from "zod";

export const ALERT_KINDS = ["verdict", "trending", "test"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** `page`: wake someone up (a rollback, a regression); `ticket`: look at it during the day. */
export const SEVERITIES = ["page", "ticket"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** `json`: darklaunch's own body; `slack`: a Slack incoming-webhook body (`text` + `blocks`). */
export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * What the judge and the ramps hand to `AlertService.notify`. `evidence` is opaque here: it is
 * passed through to the receiver as it was given (the judge owns its shape).
 */
export const AlertSchema = z.strictObject({
  kind: z.enum(ALERT_KINDS, { error: `must be one of ${ALERT_KINDS.join(", ")}` }),
  /** The flag the alert is about; absent for alerts that are about no flag (a test). */
  flag: KeySchema.optional(),
  severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(", ")}` }),
  /** The judge's state (REGRESSION, UNHEALTHY …) or, for a test, `TEST`. */
  state: z.string().min(1, "must not be empty").max(64, "must be at most 64 characters"),
  /** One sentence with numbers: why the alert fired. */
  why: z.string().min(1, "must not be empty").max(2000, "must be at most 2000 characters"),
  /** Named figures behind the why (error rates, e-value, threshold, requests …). */
  numbers: z.record(z.string(), z.number()).default({}),
  evidence: z.record(z.string(), z.unknown()).optional(),
  /**
   * Alerts with the same key are sent to a destination once per de-duplication window. Default:
   * `kind:flag:state:severity`, so a verdict that stays REGRESSION for an hour pages once.
   */
  dedupKey: z.string().min(1).max(256).optional(),
});

export type AlertInput = z.input<typeof AlertSchema>;
export type Alert = z.output<typeof AlertSchema>;

/** The de-duplication key of an alert: its own, or one made of what it is about. */
export function dedupKeyOf(alert: Alert): string {
  return alert.dedupKey ?? `${alert.kind}:${alert.flag ?? "*"}:${alert.state}:${alert.severity}`;
}

/** A destination as listed and returned: never its secret. */
export interface Destination {
  id: string;
  name: string;
  url: string;
  /** Alerts about this flag only; null: about every flag. */
  flag: string | null;
  severities: Severity[];
  format: WebhookFormat;
  createdAt: string;
}

export interface StoredDestination extends Destination {
  secret: string;
}

/** A destination without its secret. */
export function publicDestination({ secret: _secret, ...destination }: StoredDestination): Destination {
  return destination;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface DeliveryAttempt {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  statusCode: number | null;
  error: string | null;
}

/** One alert to one destination, with every HTTP attempt (the delivery log). */
export interface Delivery {
  id: string;
  destinationId: string;
  kind: AlertKind;
  flag: string | null;
  severity: Severity;
  dedupKey: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  alert: Alert;
  log: DeliveryAttempt[];
}
