import { FlagJudgeSettingsRequestSchema, FlagJudgeSettingsResponseSchema, KeyParams } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";
import { listEtag, NOT_MODIFIED } from "../list-etag.js";
import { parameters, requestBody, response } from "../openapi.js";

/** A flag's judge settings: read (effective, with which fields are set), replace, reset. */
export function judgeSettingsRoutes(app: FastifyInstance, { judgeSettings }: ServerContext): void {
  const tags = ["judge"];
  const answer = [FlagJudgeSettingsResponseSchema, "FlagJudgeSettings", "The effective settings and the fields the flag sets"] as const;

  app.get(
    "/api/v1/flags/:key/judge",
    {
      config: { scope: "read" },
      // Dashboards poll it per launch: a 304 saves the body while nothing changed.
      onSend: listEtag,
      schema: {
        tags,
        summary: "The flag's judge settings: effective (defaults filled in) and which fields the flag sets",
        params: parameters(KeyParams),
        response: response({ 200: answer, 304: NOT_MODIFIED }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      return judgeSettings.get(key);
    },
  );

  app.put(
    "/api/v1/flags/:key/judge",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary:
          "Replace the flag's judge settings with any subset of the fields (the rest take their defaults); used by /verdict, /analysis, /metrics and ramps without their own settings",
        params: parameters(KeyParams),
        body: requestBody(FlagJudgeSettingsRequestSchema, "FlagJudgeSettingsRequest"),
        response: response({ 200: answer }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      return judgeSettings.set(key, request.body, actorOf(request));
    },
  );

  app.delete(
    "/api/v1/flags/:key/judge",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Return every judge setting of the flag to its default",
        params: parameters(KeyParams),
        response: response({ 200: answer }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      return judgeSettings.reset(key, actorOf(request));
    },
  );
}
