import { z } from "zod";

/** `GET /healthz`: the process answers. */
export const LivenessSchema = z.object({ status: z.literal("ok") });

/** `GET /readyz`: the store answers too, at this revision. */
export const ReadinessSchema = z.object({
  status: z.literal("ready"),
  store: z.enum(["sqlite", "postgres"]),
  revision: z.number().int(),
});
export type Readiness = z.output<typeof ReadinessSchema>;
