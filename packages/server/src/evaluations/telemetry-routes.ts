import { KeySchema, parseIsoDate } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { badField } from "../errors.js";
import { parse } from "../http.js";
import { response } from "../openapi.js";

/** Most count rows and samples one report may carry (an SDK sends more in several posts). */
export const MAX_COUNTS = 10_000;
export const MAX_SAMPLES = 1_000;

/** An ISO 8601 date-time with its zone, normalized to the stored form (`toISOString()`). */
const IsoTime = z.string().transform((text, ctx) => {
  const ms = /T/.test(text) ? parseIsoDate(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `must be an ISO 8601 date-time such as 2026-05-01T08:00:00Z; got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

const Text = z.string().min(1).max(1024);

const TelemetryBody = z
  .strictObject({
    /** Which running SDK sent this: counts are merged per instance. */
    instance: z.string().min(1).max(200),
    sdk: z.strictObject({ name: z.string().min(1).max(100), version: z.string().min(1).max(100) }).optional(),
    intervalStart: IsoTime,
    intervalEnd: IsoTime,
    counts: z
      .array(
        z.strictObject({
          flag: KeySchema,
          variant: Text.nullable(),
          reason: z.string().min(1).max(64),
          included: z.boolean(),
          count: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        }),
      )
      .max(MAX_COUNTS)
      .default([]),
    samples: z
      .array(
        z.strictObject({
          at: IsoTime,
          flag: KeySchema,
          flagVersion: z.number().int().min(0).nullable().optional(),
          subject: Text.nullable(),
          variant: Text.nullable(),
          reason: z.string().min(1).max(64),
          position: z.number().min(0).max(100).nullable().optional(),
          included: z.boolean(),
        }),
      )
      .max(MAX_SAMPLES)
      .default([]),
    dropped: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((b) => b.intervalEnd >= b.intervalStart, { path: ["intervalEnd"], message: "must not be earlier than intervalStart" });

/** The answer to a telemetry report: how many count rows and samples were merged. */
const TelemetryAcceptedSchema = z.object({ accepted: z.object({ counts: z.number().int(), samples: z.number().int() }) });

/**
 * SDK telemetry (DESIGN §6, scale-out): an SDK posts, per instance and interval, its evaluation
 * counts per (flag, variant, reason, verdict), a capped sample of evaluations and how many it
 * dropped. Counts are merged into minute windows, so the cost grows with instances × flags, not
 * with requests; samples join the evaluations log as source `sdk`.
 */
export function telemetryRoutes(app: FastifyInstance, { evaluations }: ServerContext): void {
  app.post(
    "/api/v1/sdk/telemetry",
    {
      config: { scope: "sdk", rateClass: "ingest" },
      schema: {
        tags: ["sdk"],
        summary: "Report SDK evaluation counts, samples and drops for one interval",
        body: { type: "object", description: "The SDK telemetry batch" },
        response: response({ 202: [TelemetryAcceptedSchema, "TelemetryAccepted", "How many counts and samples were merged"] }, [400]),
      },
    },
    async (request, reply) => {
      if (typeof request.body !== "object" || request.body === null || Array.isArray(request.body)) {
        throw badField("body", "must be a telemetry report object", "telemetry");
      }
      const body = parse(TelemetryBody, request.body, "telemetry");
      await evaluations.mergeTelemetry({
        instance: body.instance,
        ...(body.sdk === undefined ? {} : { sdk: body.sdk }),
        intervalStart: body.intervalStart,
        counts: body.counts,
        samples: body.samples.map((s) => ({
          at: s.at,
          flag: s.flag,
          flagVersion: s.flagVersion ?? null,
          subject: s.subject,
          variant: s.variant,
          verdict: s.included ? "include" : "exclude",
          reason: s.reason,
          position: s.position ?? null,
          source: "sdk",
        })),
        dropped: body.dropped ?? 0,
      });
      return reply.code(202).send({ accepted: { counts: body.counts.length, samples: body.samples.length } });
    },
  );
}
