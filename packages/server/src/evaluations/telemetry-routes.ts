import { TelemetryBatchSchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { badField } from "../errors.js";
import { parse } from "../http.js";
import { response } from "../openapi.js";

/** The answer to a telemetry report: how many count rows and samples were merged. */
const TelemetryAcceptedSchema = z.object({ accepted: z.object({ counts: z.number().int(), samples: z.number().int() }) });

/**
 * SDK telemetry (docs/architecture.md#the-control-plane, scale-out): an SDK posts, per instance and interval, its evaluation
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
      const body = parse(TelemetryBatchSchema, request.body, "telemetry");
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
