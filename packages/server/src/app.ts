import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { alertRoutes } from "./alerts/alert-routes.js";
import { auditRoutes } from "./audit/audit-routes.js";
import { createAuthenticator } from "./auth/authenticate.js";
import { AuthFailureThrottle, DEFAULT_RATE_LIMITS, installRateLimits, type RateLimitOptions } from "./auth/rate-limits.js";
import type { ServerContext } from "./context.js";
import { dashboardRoutes } from "./dashboard/dashboard-routes.js";
import { frameworkErrors, installErrorHandler } from "./error-handler.js";
import { badFields } from "./errors.js";
import { evaluationRoutes } from "./evaluations/evaluation-routes.js";
import { telemetryRoutes } from "./evaluations/telemetry-routes.js";
import { checkRoutes } from "./flags/check-routes.js";
import { flagRoutes } from "./flags/flag-routes.js";
import { healthRoutes } from "./health/health-routes.js";
import { depthProblem, MAX_PARAM_LENGTH, unstorableText } from "./http.js";
import { judgeSettingsRoutes } from "./judge-settings/judge-settings-routes.js";
import { serverLogger } from "./logging.js";
import { metricRoutes } from "./metrics/metric-routes.js";
import { observationRoutes } from "./observations/observation-routes.js";
import { ofrepRoutes } from "./ofrep/ofrep-routes.js";
import { commonErrors, componentSchemas, declaredSchema } from "./openapi.js";
import { overrideRoutes } from "./overrides/override-routes.js";
import { rampRoutes } from "./ramps/ramp-routes.js";
import { sdkRoutes } from "./sdk/sdk-routes.js";
import { segmentRoutes } from "./segments/segment-routes.js";
import { tokenRoutes } from "./tokens/token-routes.js";

export interface AppOptions {
  /** Fastify's logger; default `serverLogger()`: errors (500s with their stack) as JSON lines, no access log. */
  logger?: FastifyServerOptions["logger"];
  /** Largest request body in bytes (default 16 MiB: 100 000 segment ids fit). */
  bodyLimit?: number;
  /**
   * Check every JSON answer against the schema its route declares, and fail the request when it
   * does not match, so that the API document cannot drift from what is served. Default: on under
   * Vitest (every server test then checks the declarations), off otherwise (it costs a parse).
   */
  checkResponses?: boolean;
  /** Per-token rates of evaluation and ingest calls, and failed authentications per address (defaults in `DEFAULT_RATE_LIMITS`). */
  rateLimits?: RateLimitOptions;
}

/** A registered route and the scope it needs, for the scope table test and the docs. */
export interface RouteInfo {
  method: string;
  url: string;
  scope: string;
}

declare module "fastify" {
  interface FastifyInstance {
    darklaunchRoutes: RouteInfo[];
  }
}

/** Route modules, each registering one domain's routes. */
export type RouteModule = (app: FastifyInstance, context: ServerContext) => void;

export const ROUTE_MODULES: RouteModule[] = [
  healthRoutes,
  flagRoutes,
  checkRoutes,
  segmentRoutes,
  overrideRoutes,
  tokenRoutes,
  auditRoutes,
  evaluationRoutes,
  ofrepRoutes,
  telemetryRoutes,
  sdkRoutes,
  observationRoutes,
  metricRoutes,
  alertRoutes,
  rampRoutes,
  judgeSettingsRoutes,
  dashboardRoutes,
];

/**
 * The Fastify app with every route. Each route states the scope it needs in `config.scope`; a route
 * without one is refused at start-up, so no endpoint is ever open by omission.
 */
export async function buildApp(
  context: ServerContext,
  options: AppOptions = {},
  modules: RouteModule[] = ROUTE_MODULES,
): Promise<FastifyInstance> {
  // Subjects travel in paths (`/flags/{key}/overrides/{subject}`) and may be up to 1024 characters.
  const app = Fastify({
    // Errors are logged unless a caller turns logging off (`logger: false`).
    logger: options.logger ?? serverLogger(),
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
  });
  // Route schemas document the API; handlers validate with the core's zod schemas, which name
  // every bad field with its path, so Fastify's own validation is switched off.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Response schemas document the API; answers are written as they are (Fastify's serializer would
  // drop fields the schema does not list), and checked against the declaration when asked.
  const checkResponses = options.checkResponses ?? process.env.VITEST !== undefined;
  app.setSerializerCompiler(({ schema, method, url, httpStatus }) => {
    const declared = checkResponses ? declaredSchema(schema) : undefined;
    if (declared === undefined) return (data) => JSON.stringify(data);
    return (data) => {
      const checked = declared.safeParse(data);
      if (!checked.success) {
        throw new Error(
          `${method} ${url} answered ${httpStatus} with a body its schema refuses: ${JSON.stringify(checked.error.issues.slice(0, 5))}`,
        );
      }
      return JSON.stringify(data);
    };
  });
  installErrorHandler(app);

  const routes: RouteInfo[] = [];
  app.decorate("darklaunchRoutes", routes);
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/api/docs")) {
      route.config = { ...route.config, scope: "public" };
    } else if (route.config?.scope === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no scope`);
    } else if (route.schema !== undefined && !route.url.startsWith("/ofrep/")) {
      // Errors every route may answer; OFREP routes declare their own (the spec's error shapes).
      const scoped = route.config.scope !== "public";
      route.schema.response = { ...commonErrors(scoped), ...(route.schema.response as object | undefined) };
      if (!scoped) route.schema.security = [];
    }
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url, scope: String(route.config?.scope) });
  });
  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  await installRateLimits(app, limits);
  const authenticate = createAuthenticator(context.tokens, new AuthFailureThrottle(limits.authFailuresPerMinute));
  app.addHook("onRequest", async (request) => {
    const scope = request.routeOptions.config?.scope;
    if (scope === undefined || scope === "public") return;
    request.caller = await authenticate(request, scope);
  });
  app.addHook("preHandler", async (request) => {
    // Depth first: every later walk (this hook's, zod's, the handlers') may recurse.
    const deep = depthProblem(request.body);
    if (deep) throw badFields([deep], "request");
    const problems = [...unstorableText(request.params), ...unstorableText(request.query), ...unstorableText(request.body)];
    if (problems.length > 0) throw badFields(problems.slice(0, 20), "request");
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: "darklaunch control plane",
        version: "1",
        description: "Flags, segments, overrides, checks, evaluations, observations, audit and tokens.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    // Bodies are components generated from the protocol's zod schemas, once every route is known.
    transformObject: (document) => {
      if (!("openapiObject" in document)) return document.swaggerObject;
      const { openapiObject } = document;
      const components = (openapiObject.components ?? {}) as { schemas?: Record<string, unknown> };
      components.schemas = { ...components.schemas, ...componentSchemas() };
      openapiObject.components = components as typeof openapiObject.components;
      return openapiObject;
    },
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });
  for (const register of modules) register(app, context);
  return app;
}
