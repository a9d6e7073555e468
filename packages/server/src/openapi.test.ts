import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildApp } from "./app.js";
import { response } from "./openapi.js";
import { STORE_FACTORIES, startTestServer, type TestServer } from "./test-support.js";

/** Fastify's `/flags/:key` as OpenAPI writes it: `/flags/{key}`. */
const openapiPath = (url: string) => url.replace(/:(\w+)/g, "{$1}");

type Operation = { responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }> };

describe("the OpenAPI document", () => {
  let t: TestServer;
  // biome-ignore lint/suspicious/noExplicitAny: the document is checked by the validator, then read freely
  let doc: any;
  beforeAll(async () => {
    const store = await STORE_FACTORIES[0]!.create();
    t = await startTestServer(store!);
    const served = await t.request("GET", "/api/docs/json", undefined, { scope: "none" });
    expect(served.status).toBe(200);
    doc = served.body;
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  it("is a valid OpenAPI 3 document whose every reference resolves", async () => {
    // validate() dereferences in place, so it gets a copy.
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    const text = JSON.stringify(doc);
    expect(text).not.toContain("$defs");
    expect(text).not.toContain("__shared");
    for (const ref of text.match(/"\$ref":"[^"]*"/g) ?? []) expect(ref).toMatch(/^"\$ref":"#\/components\/schemas\/[A-Za-z0-9]+"$/);
  });

  it("documents every registered route with a success answer and its error answers", () => {
    // The dashboard's pages ("/", "/*") are not part of the API.
    const routes = t.server.app.darklaunchRoutes.filter(
      (r) => r.method !== "HEAD" && !r.url.startsWith("/api/docs") && r.url !== "/" && r.url !== "/*",
    );
    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      const operation: Operation | undefined = doc.paths[openapiPath(route.url)]?.[route.method.toLowerCase()];
      const name = `${route.method} ${route.url}`;
      expect(operation, name).toBeDefined();
      const responses = Object.entries(operation?.responses ?? {});
      const successes = responses.filter(([status]) => /^[23]\d\d$/.test(status));
      expect(successes.length, `${name} documents no success`).toBeGreaterThan(0);
      for (const [status, answer] of responses) {
        expect(answer.description, `${name} ${status}`).toBeTruthy();
        // Every answer with a body says what the body is; 204, 304 and OFREP's 401 and 403 have none.
        const bodiless =
          status === "204" || status === "304" || (route.url.startsWith("/ofrep/") && (status === "401" || status === "403"));
        // The SSE stream and the Prometheus exposition are text, not JSON.
        if (!bodiless && route.url !== "/api/v1/sdk/stream" && route.url !== "/metrics") {
          expect(answer.content?.["application/json"]?.schema, `${name} ${status} has no body schema`).toBeDefined();
        }
      }
      if (!route.url.startsWith("/ofrep/")) expect(Object.keys(operation?.responses ?? {}), name).toContain("500");
      if (route.scope !== "public") expect(Object.keys(operation?.responses ?? {}), name).toEqual(expect.arrayContaining(["401", "403"]));
    }
  });

  it("names request and response bodies as components generated from the protocol schemas", () => {
    const launch = doc.paths["/api/v1/flags/{key}/launch"].put;
    expect(launch.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/LaunchRequest" });
    expect(launch.responses["201"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/LaunchResponse" });
    expect(doc.components.schemas.LaunchRequest.properties).toHaveProperty("split");
    expect(doc.components.schemas.ErrorBody.required).toEqual(["code", "message"]);
    const list = doc.paths["/api/v1/flags"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(["tag", "kind", "state", "stale"]);
  });

  it("fails an answer its route's schema refuses when responses are checked, and serves it as is when not", async () => {
    const Count = z.object({ count: z.number().int() });
    for (const checkResponses of [true, false]) {
      const app = await buildApp(t.server.context, { checkResponses }, [
        (app) =>
          app.get(
            "/count",
            { config: { scope: "public" }, schema: { response: response({ 200: [Count, "TestCount", "A count"] }) } },
            async () => ({ count: "three", extra: 1 }),
          ),
      ]);
      const answer = await app.inject({ method: "GET", url: "/count" });
      if (checkResponses) {
        expect(answer.statusCode).toBe(500);
        expect(answer.json().code).toBe("INTERNAL");
      } else {
        // Documentation only: nothing is dropped or coerced.
        expect(answer.json()).toEqual({ count: "three", extra: 1 });
      }
      await app.close();
    }
  });
});
