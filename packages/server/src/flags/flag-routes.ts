import { FLAG_KINDS, FlagSchema, KeySchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { actorOf, expectedVersion, parse, withVersionTag } from "../http.js";
import { FlagPatchSchema } from "./flag-patch.js";
import { percentageOf } from "./flag-service.js";
import type { FlagRecord } from "./flag-store.js";

const KeyParams = z.strictObject({ key: KeySchema });

const ListQuery = z.strictObject({
  tag: z.string().optional(),
  kind: z.enum(FLAG_KINDS).optional(),
  state: z.enum(["active", "enabled", "disabled", "archived", "all"]).optional(),
  stale: z.enum(["true", "false"]).optional(),
});

const VersionBody = z.strictObject({ version: z.number().int().min(1).optional() });
const VersionQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });

const flagJsonSchema = z.toJSONSchema(FlagSchema, { io: "input", unrepresentable: "any" });

/** A flag as the API returns it, with its rollout percentage when it has one. */
function present(flag: FlagRecord) {
  return { ...flag, percentage: percentageOf(flag) ?? null };
}

export function flagRoutes(app: FastifyInstance, { flags }: ServerContext): void {
  const tags = ["flags"];

  app.get(
    "/api/v1/flags",
    { config: { scope: "read" }, schema: { tags, summary: "List flags (filter by tag, kind, state, stale)" } },
    async (request) => {
      const query = parse(ListQuery, request.query, "query");
      const list = await flags.list({ ...query, stale: query.stale === undefined ? undefined : query.stale === "true" });
      return { flags: list.map(present) };
    },
  );

  app.get("/api/v1/flags/:key", { config: { scope: "read" }, schema: { tags, summary: "Get a flag" } }, async (request, reply) => {
    const { key } = parse(KeyParams, request.params, "path");
    const flag = await flags.get(key);
    withVersionTag(reply, flag.version);
    return present(flag);
  });

  app.post(
    "/api/v1/flags",
    { config: { scope: "write" }, schema: { tags, summary: "Create a flag", body: flagJsonSchema } },
    async (request, reply) => {
      const flag = await flags.create(request.body, actorOf(request));
      withVersionTag(reply, flag.version).code(201);
      return present(flag);
    },
  );

  app.put(
    "/api/v1/flags/:key",
    {
      config: { scope: "write" },
      schema: { tags, summary: "Replace a flag (send its current version in the body or If-Match)", body: flagJsonSchema },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const body = request.body as { version?: unknown } | null;
      const version = typeof body?.version === "number" ? body.version : undefined;
      const flag = await flags.replace(key, request.body, expectedVersion(request, version), actorOf(request));
      withVersionTag(reply, flag.version);
      return present(flag);
    },
  );

  app.patch(
    "/api/v1/flags/:key",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Change part of a flag: enable, disable, percentage, rules, metadata",
        body: z.toJSONSchema(FlagPatchSchema, { io: "input", unrepresentable: "any" }),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const patch = parse(FlagPatchSchema, request.body, `patch of flag "${key}"`);
      const flag = await flags.patch(key, patch, expectedVersion(request, patch.version), actorOf(request));
      withVersionTag(reply, flag.version);
      return present(flag);
    },
  );

  for (const [verb, archived] of [
    ["archive", true],
    ["unarchive", false],
  ] as const) {
    app.post(
      `/api/v1/flags/:key/${verb}`,
      { config: { scope: "write" }, schema: { tags, summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a flag` } },
      async (request, reply) => {
        const { key } = parse(KeyParams, request.params, "path");
        const { version } = parse(VersionBody, request.body, "body");
        const flag = await flags.setArchived(key, archived, expectedVersion(request, version), actorOf(request));
        withVersionTag(reply, flag.version);
        return present(flag);
      },
    );
  }

  app.delete(
    "/api/v1/flags/:key",
    { config: { scope: "write" }, schema: { tags, summary: "Delete a flag and its overrides" } },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { version } = parse(VersionQuery, request.query, "query");
      await flags.delete(key, expectedVersion(request, version), actorOf(request));
      return reply.code(204).send();
    },
  );
}
