import { AuditListQuery, AuditPageSchema, FlagAuditQuery, KeyParams } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { parse } from "../http.js";
import { parameters, response } from "../openapi.js";
import { nextBefore } from "../query-params.js";
import { type AuditQuery, listAudit } from "./audit-store.js";

const pageAnswer = [AuditPageSchema, "AuditPage", "Entries newest first; nextBefore fetches the next page, null on the last"] as const;

/** The audit log, newest first: who changed what, when, with the state before and after. */
export function auditRoutes(app: FastifyInstance, { database, flags }: ServerContext): void {
  const tags = ["audit"];
  const db = database.db;

  async function page(query: AuditQuery) {
    const entries = await listAudit(db, query);
    return { entries, nextBefore: nextBefore(entries, query.limit) };
  }

  app.get(
    "/api/v1/audit",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List audit entries, newest first (filter by target, actor, action, since/until as ISO dates or 1h/7d; page with before)",
        querystring: parameters(AuditListQuery),
        response: response({ 200: pageAnswer }, [400]),
      },
    },
    async (request) => page(parse(AuditListQuery, request.query, "query")),
  );

  app.get(
    "/api/v1/flags/:key/audit",
    {
      config: { scope: "read" },
      schema: {
        tags: ["flags", ...tags],
        summary: "The audit entries of one flag, newest first",
        params: parameters(KeyParams),
        querystring: parameters(FlagAuditQuery),
        response: response({ 200: pageAnswer }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const query = parse(FlagAuditQuery, request.query, "query");
      const result = await page({ ...query, targetType: "flag", target: key });
      // A deleted flag keeps its history; only a key that never had one is unknown.
      if (result.entries.length === 0 && query.before === undefined && !(await hasAudit(key))) await flags.get(key);
      return result;
    },
  );

  async function hasAudit(key: string): Promise<boolean> {
    const row = await db
      .selectFrom("audit")
      .select("id")
      .where("target_type", "=", "flag")
      .where("target_key", "=", key)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
