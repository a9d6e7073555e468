import {
  KeyParams,
  SegmentIdsChangedSchema,
  SegmentIdsChangeSchema,
  SegmentIdsPageSchema,
  SegmentIdsQuery,
  SegmentListResponse,
  SegmentRecordSchema,
  SegmentSchema,
  VersionQuery,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { actorOf, expectedVersion, parse, withVersionTag } from "../http.js";
import { parameters, requestBody, response } from "../openapi.js";

const params = parameters(KeyParams);
const segmentAnswer = [SegmentRecordSchema, "SegmentRecord", "The segment (its ids are counted, not listed)"] as const;

export function segmentRoutes(app: FastifyInstance, { segments }: ServerContext): void {
  const tags = ["segments"];

  app.get(
    "/api/v1/segments",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List segments (without their ids)",
        response: response({ 200: [SegmentListResponse, "SegmentList", "The segments"] }),
      },
    },
    async () => ({
      segments: await segments.list(),
    }),
  );

  app.get(
    "/api/v1/segments/:key",
    {
      config: { scope: "read" },
      schema: { tags, summary: "Get a segment (without its ids)", params, response: response({ 200: segmentAnswer }, [400, 404]) },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const segment = await segments.get(key);
      withVersionTag(reply, segment.version);
      return segment;
    },
  );

  app.get(
    "/api/v1/segments/:key/ids",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "Page through a segment's ids, ordered (cursor = last id of the page before)",
        params,
        querystring: parameters(SegmentIdsQuery),
        response: response({ 200: [SegmentIdsPageSchema, "SegmentIdsPage", "A page of ids; nextCursor is null on the last"] }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { cursor, limit } = parse(SegmentIdsQuery, request.query, "query");
      return segments.ids(key, cursor, limit);
    },
  );

  app.post(
    "/api/v1/segments",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Create a segment (up to 100 000 ids)",
        body: requestBody(SegmentSchema, "SegmentInput"),
        response: response({ 201: segmentAnswer }, [400, 409]),
      },
    },
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
      schema: {
        tags,
        summary: "Replace a segment's description and conditions (send its version in the body or If-Match)",
        params,
        body: requestBody(SegmentSchema, "SegmentInput"),
        response: response({ 200: segmentAnswer }, [400, 404, 409]),
      },
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
        params,
        body: requestBody(SegmentIdsChangeSchema, "SegmentIdsChange"),
        response: response({ 200: [SegmentIdsChangedSchema, "SegmentIdsChanged", "How many ids were added and removed"] }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const body = parse(SegmentIdsChangeSchema, request.body, `ids of segment "${key}"`);
      const changed = await segments.changeIds(key, body, expectedVersion(request, body.version), actorOf(request));
      withVersionTag(reply, changed.version);
      return changed;
    },
  );

  app.delete(
    "/api/v1/segments/:key",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Delete a segment and its ids (refused while a flag uses it)",
        params,
        querystring: parameters(VersionQuery),
        response: response({ 204: "Deleted" }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { version } = parse(VersionQuery, request.query, "query");
      await segments.delete(key, expectedVersion(request, version), actorOf(request));
      return reply.code(204).send();
    },
  );
}
