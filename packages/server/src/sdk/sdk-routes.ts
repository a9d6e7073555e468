import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { etagMatches } from "../http.js";
import { response } from "../openapi.js";
import { snapshotJson } from "./sdk-streams.js";

const tags = ["sdk"];

/** The snapshot's shape is the stream's `put` payload; here it is documented as an object. */
const SNAPSHOT_ANSWERS: Record<string, unknown> = {
  200: { description: "The snapshot, with its revision as ETag", type: "object" },
  ...response({ 304: "Not modified (If-None-Match names the current revision)" }),
};

/** The SDK endpoints (docs/architecture.md#the-control-plane): the whole ruleset with an ETag, and its live stream. */
export function sdkRoutes(app: FastifyInstance, { rulesets, sdkStreams }: ServerContext): void {
  app.get(
    "/api/v1/sdk/snapshot",
    {
      config: { scope: "sdk" },
      schema: {
        tags,
        summary: "The whole ruleset (flags, segments with ids, overrides) and its revision",
        response: SNAPSHOT_ANSWERS,
      },
    },
    async (request, reply) => {
      const compiled = await rulesets.get();
      const etag = `"${compiled.revision}"`;
      reply.header("etag", etag).header("cache-control", "no-cache");
      if (etagMatches(request.headers["if-none-match"], etag)) return reply.code(304).send();
      return reply.type("application/json; charset=utf-8").send(snapshotJson(compiled));
    },
  );

  app.get(
    "/api/v1/sdk/stream",
    {
      config: { scope: "sdk" },
      schema: {
        tags,
        summary: "Server-sent events: `put` (the snapshot), then `patch`, `delete` and `heartbeat`",
        response: {
          200: { description: "A text/event-stream that stays open", content: { "text/event-stream": { schema: { type: "string" } } } },
        },
      },
    },
    async (_request, reply) => {
      await sdkStreams.open(() => {
        reply.hijack();
        return reply.raw;
      });
    },
  );
}
