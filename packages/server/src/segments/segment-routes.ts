import { KeySchema, SegmentSchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { actorOf, expectedVersion, parse, withVersionTag } from "../http.js";
import { MAX_IDS_PER_CALL } from "./segment-service.js";

const KeyParams = z.strictObject({ key: KeySchema });
const VersionQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });

export const MAX_IDS_PAGE = 10_000;

const IdsQuery = z.strictObject({
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_IDS_PAGE).default(1_000),
});

const Subject = z.string().min(1, "ids must not be empty strings").max(1024);

const IdsBody = z
  .strictObject({
    add: z.array(Subject).max(MAX_IDS_PER_CALL).default([]),
    remove: z.array(Subject).max(MAX_IDS_PER_CALL).default([]),
    version: z.number().int().min(1).optional(),
  })
  .superRefine((body, ctx) => {
    const total = body.add.length + body.remove.length;
    if (total === 0) ctx.addIssue({ code: "custom", path: ["add"], message: "send ids to add or remove" });
    if (total > MAX_IDS_PER_CALL) {
      ctx.addIssue({
        code: "custom",
        path: ["add"],
        message: `add and remove hold ${total} ids together; at most ${MAX_IDS_PER_CALL} per call`,
      });
    }
    // An id in both lists has no clear meaning; name the first few rather than pick one silently.
    const adding = new Set(body.add);
    let reported = 0;
    for (let i = 0; i < body.remove.length && reported < 10; i++) {
      if (adding.has(body.remove[i] as string)) {
        ctx.addIssue({ code: "custom", path: ["remove", i], message: `"${body.remove[i]}" is also in add` });
        reported++;
      }
    }
  });

const segmentJsonSchema = z.toJSONSchema(SegmentSchema, { io: "input", unrepresentable: "any" });

export function segmentRoutes(app: FastifyInstance, { segments }: ServerContext): void {
  const tags = ["segments"];

  app.get("/api/v1/segments", { config: { scope: "read" }, schema: { tags, summary: "List segments (without their ids)" } }, async () => ({
    segments: await segments.list(),
  }));

  app.get(
    "/api/v1/segments/:key",
    { config: { scope: "read" }, schema: { tags, summary: "Get a segment (without its ids)" } },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const segment = await segments.get(key);
      withVersionTag(reply, segment.version);
      return segment;
    },
  );

  app.get(
    "/api/v1/segments/:key/ids",
    { config: { scope: "read" }, schema: { tags, summary: "Page through a segment's ids, ordered (cursor = last id of the page before)" } },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { cursor, limit } = parse(IdsQuery, request.query, "query");
      return segments.ids(key, cursor, limit);
    },
  );

  app.post(
    "/api/v1/segments",
    { config: { scope: "write" }, schema: { tags, summary: "Create a segment (up to 100 000 ids)", body: segmentJsonSchema } },
    async (request, reply) => {
      const segment = await segments.create(request.body, actorOf(request));
      withVersionTag(reply, segment.version).code(201);
      return segment;
    },
  );

  app.put(
    "/api/v1/segments/:key",
    {
      config: { scope: "write" },
      schema: { tags, summary: "Replace a segment's description and conditions (send its version in the body or If-Match)" },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const body = request.body as { version?: unknown } | null;
      const version = typeof body?.version === "number" ? body.version : undefined;
      const segment = await segments.replace(key, request.body, expectedVersion(request, version), actorOf(request));
      withVersionTag(reply, segment.version);
      return segment;
    },
  );

  app.post(
    "/api/v1/segments/:key/ids",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Add and remove up to 100 000 ids in one call",
        body: z.toJSONSchema(IdsBody, { io: "input", unrepresentable: "any" }),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const body = parse(IdsBody, request.body, `ids of segment "${key}"`);
      const changed = await segments.changeIds(key, body, expectedVersion(request, body.version), actorOf(request));
      withVersionTag(reply, changed.version);
      return changed;
    },
  );

  app.delete(
    "/api/v1/segments/:key",
    { config: { scope: "write" }, schema: { tags, summary: "Delete a segment and its ids (refused while a flag uses it)" } },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { version } = parse(VersionQuery, request.query, "query");
      await segments.delete(key, expectedVersion(request, version), actorOf(request));
      return reply.code(204).send();
    },
  );
}
