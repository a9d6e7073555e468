import { KeySchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";
import { DestinationInputSchema } from "./alert-service.js";

const IdParams = z.strictObject({ id: z.string().min(1).max(200) });

const DeliveriesQuery = z.strictObject({
  destination: z.string().min(1).max(200).optional(),
  flag: KeySchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const QUERY_DOC = {
  type: "object",
  properties: {
    destination: { type: "string", description: "only deliveries to this destination id" },
    flag: { type: "string", description: "only alerts about this flag" },
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  },
};

/**
 * Webhook alerts: destinations (the signing secret is shown once, at creation), a test send, and
 * the delivery log. Alerts themselves come from the judge and the ramps through `AlertService.notify`.
 */
export function alertRoutes(app: FastifyInstance, { alerts }: ServerContext): void {
  const tags = ["alerts"];

  app.post(
    "/api/v1/alerts/destinations",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary:
          "Add a webhook destination (global, or for one flag); http/https only, private addresses refused unless the server allows them; the signing secret is in this response only",
        body: z.toJSONSchema(DestinationInputSchema, { io: "input", unrepresentable: "any" }),
      },
    },
    async (request, reply) => {
      const created = await alerts.createDestination(request.body, actorOf(request));
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/api/v1/alerts/destinations",
    { config: { scope: "read" }, schema: { tags, summary: "List webhook destinations (never their secrets)" } },
    async () => ({ destinations: await alerts.listDestinations() }),
  );

  app.delete(
    "/api/v1/alerts/destinations/:id",
    {
      config: { scope: "write" },
      schema: { tags, summary: "Remove a webhook destination and its delivery log", params: z.toJSONSchema(IdParams, { io: "input" }) },
    },
    async (request) => {
      const { id } = parse(IdParams, request.params, "path");
      return { destination: await alerts.removeDestination(id, actorOf(request)) };
    },
  );

  app.post(
    "/api/v1/alerts/destinations/:id/test",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Send a test alert to a destination once (no retries) and answer with the delivery and its outcome",
        params: z.toJSONSchema(IdParams, { io: "input" }),
      },
    },
    async (request) => {
      const { id } = parse(IdParams, request.params, "path");
      return { delivery: await alerts.test(id, actorOf(request)) };
    },
  );

  app.get(
    "/api/v1/alerts/deliveries",
    {
      config: { scope: "read" },
      schema: { tags, summary: "The delivery log, newest first, each delivery with every attempt", querystring: QUERY_DOC },
    },
    async (request) => {
      const query = parse(DeliveriesQuery, request.query, "query");
      return { deliveries: await alerts.deliveries({ destinationId: query.destination, flag: query.flag, limit: query.limit }) };
    },
  );
}
