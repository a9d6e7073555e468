import { z } from "zod";
import { KeySchema } from "../flag-schema.js";

/** What an alert is about: a judge verdict, a harm e-value past half its threshold, or a test send. */
export const ALERT_KINDS = ["verdict", "trending", "test"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** `page`: wake someone up (a rollback, a regression); `ticket`: look at it during the day. */
export const SEVERITIES = ["page", "ticket"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** `json`: darklaunch's own body; `slack`: a Slack incoming-webhook body (`text` + `blocks`). */
export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * Why a webhook URL cannot be a destination, before any DNS lookup: not absolute http(s), holding
 * credentials, or without a host. Undefined when it may be one.
 */
export function webhookUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `must be an absolute http or https URL, got ${JSON.stringify(text.slice(0, 200))}`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must use http or https, not ${url.protocol.replace(/:$/, "")}`;
  if (url.username !== "" || url.password !== "") return "must not hold a user name or password (the signature authenticates the sender)";
  if (url.hostname === "") return "must name a host";
  return undefined;
}

/**
 * What the judge and the ramps hand to the server's `AlertService.notify`, and what a receiver
 * gets as `alert`. `evidence` is opaque here: it is passed through as it was given.
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

/** `POST /api/v1/alerts/destinations`. */
export const DestinationCreateRequestSchema = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters").optional(),
  url: z
    .string({ error: "is required" })
    .max(2048, "must be at most 2048 characters")
    .superRefine((url, ctx) => {
      const problem = webhookUrlProblem(url);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  /** Alerts about this flag only; absent: about every flag. */
  flag: KeySchema.optional(),
  severities: z
    .array(z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(", ")}` }))
    .min(1, "must name at least one severity")
    .default([...SEVERITIES]),
  format: z.enum(WEBHOOK_FORMATS, { error: `must be one of ${WEBHOOK_FORMATS.join(", ")}` }).default("json"),
});
export type DestinationCreateRequest = z.input<typeof DestinationCreateRequestSchema>;

export const DestinationIdParams = z.strictObject({ id: z.string().min(1).max(200) });

/** `GET /api/v1/alerts/deliveries`. */
export const DeliveriesQuery = z.strictObject({
  /** Only deliveries to this destination id. */
  destination: z.string().min(1).max(200).optional(),
  /** Only alerts about this flag. */
  flag: KeySchema.optional(),
  limit: z.coerce.number<number>().int().min(1).max(1000).default(100),
});
export type DeliveriesQuery = z.input<typeof DeliveriesQuery>;

/** A destination as listed and returned: never its secret. */
export const DestinationSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  /** Alerts about this flag only; null: about every flag. */
  flag: z.string().nullable(),
  severities: z.array(z.enum(SEVERITIES)),
  format: z.enum(WEBHOOK_FORMATS),
  createdAt: z.string(),
});
export type Destination = z.output<typeof DestinationSchema>;

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DeliveryAttemptSchema = z.object({
  attempt: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type DeliveryAttempt = z.output<typeof DeliveryAttemptSchema>;

/** One alert to one destination, with every HTTP attempt (the delivery log). */
export const DeliverySchema = z.object({
  id: z.string(),
  destinationId: z.string(),
  kind: z.enum(ALERT_KINDS),
  flag: z.string().nullable(),
  severity: z.enum(SEVERITIES),
  dedupKey: z.string().nullable(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  alert: AlertSchema,
  log: z.array(DeliveryAttemptSchema),
});
export type Delivery = z.output<typeof DeliverySchema>;

/** The answer to a create: the signing secret is in this response only. */
export const DestinationCreatedSchema = z.object({ destination: DestinationSchema, secret: z.string() });
export type DestinationCreated = z.output<typeof DestinationCreatedSchema>;

export const DestinationListResponse = z.object({ destinations: z.array(DestinationSchema) });
export type DestinationListResponse = z.output<typeof DestinationListResponse>;

export const DestinationRemovedSchema = z.object({ destination: DestinationSchema });
export type DestinationRemoved = z.output<typeof DestinationRemovedSchema>;

export const DeliveryResultSchema = z.object({ delivery: DeliverySchema });
export type DeliveryResult = z.output<typeof DeliveryResultSchema>;

export const DeliveryListResponse = z.object({ deliveries: z.array(DeliverySchema) });
export type DeliveryListResponse = z.output<typeof DeliveryListResponse>;
