import {
  DeliveriesQuery,
  DeliveryListResponse,
  DeliveryResultSchema,
  DestinationCreatedSchema,
  DestinationCreateRequestSchema,
  DestinationIdParams,
  DestinationListResponse,
  DestinationRemovedSchema,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";
import { parameters, requestBody, response } from "../openapi.js";

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
        body: requestBody(DestinationCreateRequestSchema, "DestinationCreateRequest"),
        response: response(
          { 201: [DestinationCreatedSchema, "DestinationCreated", "The destination and its signing secret (shown only here)"] },
          [400],
        ),
      },
    },
    async (request, reply) => {
      const created = await alerts.createDestination(request.body, actorOf(request));
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/api/v1/alerts/destinations",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List webhook destinations (never their secrets)",
        response: response({ 200: [DestinationListResponse, "DestinationList", "Every destination, oldest first"] }),
      },
    },
    async () => ({ destinations: await alerts.listDestinations() }),
  );

  app.delete(
    "/api/v1/alerts/destinations/:id",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Remove a webhook destination and its delivery log",
        params: parameters(DestinationIdParams),
        response: response({ 200: [DestinationRemovedSchema, "DestinationRemoved", "The removed destination"] }, [400, 404]),
      },
    },
    async (request) => {
      const { id } = parse(DestinationIdParams, request.params, "path");
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
        params: parameters(DestinationIdParams),
        response: response({ 200: [DeliveryResultSchema, "DeliveryResult", "The test delivery with its outcome"] }, [400, 404]),
      },
    },
    async (request) => {
      const { id } = parse(DestinationIdParams, request.params, "path");
      return { delivery: await alerts.test(id, actorOf(request)) };
    },
  );

  app.get(
    "/api/v1/alerts/deliveries",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "The delivery log, newest first, each delivery with every attempt",
        querystring: parameters(DeliveriesQuery),
        response: response({ 200: [DeliveryListResponse, "DeliveryList", "Deliveries, newest first"] }, [400]),
      },
    },
    async (request) => {
      const query = parse(DeliveriesQuery, request.query, "query");
      return { deliveries: await alerts.deliveries({ destinationId: query.destination, flag: query.flag, limit: query.limit }) };
    },
  );
}
