import { KeySchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { parse } from "../http.js";
import { PageParams, TimeParam } from "../query-params.js";

const Filters = {
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  since: TimeParam.optional(),
  until: TimeParam.optional(),
  ...PageParams,
};

const AuditListQuery = z.strictObject({
  targetType: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  ...Filters,
});

const FlagAuditQuery = z.strictObject(Filters);

/** The audit log, newest first: who changed what, when, with the state before and after. */
export function auditRoutes(app: FastifyInstance, { audit }: ServerContext): void {
  const tags = ["audit"];

  app.get(
    "/api/v1/audit",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List audit entries, newest first (filter by target, actor, action, since/until as ISO dates or 1h/7d; page with before)",
      },
    },
    async (request) => audit.list(parse(AuditListQuery, request.query, "query")),
  );

  app.get(
    "/api/v1/flags/:key/audit",
    { config: { scope: "read" }, schema: { tags: ["flags", ...tags], summary: "The audit entries of one flag, newest first" } },
    async (request) => {
      const { key } = parse(z.strictObject({ key: KeySchema }), request.params, "path");
      const query = parse(FlagAuditQuery, request.query, "query");
      return audit.ofFlag(key, query);
    },
  );
}
