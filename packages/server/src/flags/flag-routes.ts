import {
  DarkLaunchError,
  FlagListQuery,
  FlagListResponse,
  FlagPatchSchema,
  FlagRecordSchema,
  FlagSchema,
  KeyParams,
  LaunchRequestSchema,
  LaunchResponseSchema,
  VersionBody,
  VersionQuery,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { actorOf, expectedVersion, parse, withVersionTag } from "../http.js";
import { listEtag, NOT_MODIFIED } from "../list-etag.js";
import { parameters, requestBody, response } from "../openapi.js";
import { percentageOf } from "./flag-service.js";
import type { FlagRecord } from "./flag-store.js";

const params = parameters(KeyParams);
const flagBody = requestBody(FlagSchema, "FlagInput");
const flagAnswer = [FlagRecordSchema, "FlagRecord", "The flag, with its rollout percentage (null when it has none)"] as const;

/** A flag as the API returns it, with its rollout percentage when it has one. */
function present(flag: FlagRecord) {
  return { ...flag, percentage: percentageOf(flag) ?? null };
}

/** Fields a flag from GET carries that a PUT cannot set: sent back as they were read, they are ignored. */
const READ_ONLY_FIELDS = ["archived", "createdAt", "updatedAt", "percentage"] as const;

function withoutReadOnly(body: unknown): { version?: unknown } | null | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body as null | undefined;
  const copy: Record<string, unknown> = { ...body };
  for (const field of READ_ONLY_FIELDS) delete copy[field];
  return copy;
}

/** 428: a PUT must say which version it replaces. */
export class VersionRequiredError extends DarkLaunchError {
  constructor(key: string) {
    super(
      "VERSION_REQUIRED",
      428,
      `replacing flag "${key}" needs the version you read: send it as \`version\` in the body or as If-Match ("7"); GET the flag for it, or use PATCH to change single fields`,
    );
  }
}

export function flagRoutes(app: FastifyInstance, { flags }: ServerContext): void {
  const tags = ["flags"];

  app.get(
    "/api/v1/flags",
    {
      config: { scope: "read" },
      onSend: listEtag,
      schema: {
        tags,
        summary: "List flags (filter by tag, kind, state, stale)",
        querystring: parameters(FlagListQuery),
        response: response({ 200: [FlagListResponse, "FlagList", "The flags, ordered by key"], 304: NOT_MODIFIED }, [400]),
      },
    },
    async (request) => {
      const query = parse(FlagListQuery, request.query, "query");
      const list = await flags.list({ ...query, stale: query.stale === undefined ? undefined : query.stale === "true" });
      return { flags: list.map(present) };
    },
  );

  app.get(
    "/api/v1/flags/:key",
    { config: { scope: "read" }, schema: { tags, summary: "Get a flag", params, response: response({ 200: flagAnswer }, [400, 404]) } },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const flag = await flags.get(key);
      withVersionTag(reply, flag.version);
      return present(flag);
    },
  );

  app.post(
    "/api/v1/flags",
    {
      config: { scope: "write" },
      schema: { tags, summary: "Create a flag", body: flagBody, response: response({ 201: flagAnswer }, [400, 409]) },
    },
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
      schema: {
        tags,
        summary:
          "Replace a flag (its current version in the body or If-Match is required; archived, createdAt, updatedAt and percentage are ignored)",
        params,
        body: flagBody,
        response: response({ 200: flagAnswer }, [400, 404, 409, 428]),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const body = withoutReadOnly(request.body);
      const version = typeof body?.version === "number" ? body.version : undefined;
      const expected = expectedVersion(request, version);
      // A whole-flag write without a version would silently reset what the sender left out.
      if (expected === undefined) throw new VersionRequiredError(key);
      const flag = await flags.replace(key, body, expected, actorOf(request));
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
        params,
        body: requestBody(FlagPatchSchema, "FlagPatch"),
        response: response({ 200: flagAnswer }, [400, 404, 409]),
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

  app.put(
    "/api/v1/flags/:key/launch",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary:
          "Launch a release flag to a percentage of subjects: creates it (201) or enables it at that percentage, with a new bucketBy or salt if given (200); one transaction, audited",
        params,
        body: requestBody(LaunchRequestSchema, "LaunchRequest"),
        response: response(
          {
            200: [LaunchResponseSchema, "LaunchResponse", "The flag before and after (changed: false when it was launched so already)"],
            201: [LaunchResponseSchema, "LaunchResponse", "The flag, created"],
          },
          [400, 404, 409],
        ),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const launch = parse(LaunchRequestSchema, request.body, `launch of flag "${key}"`);
      const outcome = await flags.launch(key, launch, expectedVersion(request, launch.version), actorOf(request));
      withVersionTag(reply, outcome.flag.version).code(outcome.created ? 201 : 200);
      return {
        created: outcome.created,
        changed: outcome.changed,
        before: outcome.before === null ? null : present(outcome.before),
        flag: present(outcome.flag),
      };
    },
  );

  for (const [verb, archived] of [
    ["archive", true],
    ["unarchive", false],
  ] as const) {
    app.post(
      `/api/v1/flags/:key/${verb}`,
      {
        config: { scope: "write" },
        schema: {
          tags,
          summary: `${verb[0]?.toUpperCase()}${verb.slice(1)} a flag`,
          params,
          body: requestBody(VersionBody, "VersionBody"),
          response: response({ 200: flagAnswer }, [400, 404, 409]),
        },
      },
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
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Delete a flag and its overrides",
        params,
        querystring: parameters(VersionQuery),
        response: response({ 204: "Deleted" }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { version } = parse(VersionQuery, request.query, "query");
      await flags.delete(key, expectedVersion(request, version), actorOf(request));
      return reply.code(204).send();
    },
  );
}
