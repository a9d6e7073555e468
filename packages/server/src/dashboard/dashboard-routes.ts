import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, sep } from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { MAX_PARAM_LENGTH } from "../http.js";

/**
 * No inline script or style anywhere: the build emits files only, and charts set styles through the
 * CSSOM, which `style-src 'self'` does not restrict.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

interface StaticFile {
  body: Buffer;
  type: string;
  /** Files under assets/ carry a content hash in their name, so they never change. */
  immutable: boolean;
}

/** The built dashboard (`@darklaunch/dashboard`'s dist), or undefined when it is not built. */
export function findDashboardDir(): string | undefined {
  const fromEnv = process.env.DARKLAUNCH_DASHBOARD_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  try {
    const manifest = createRequire(import.meta.url).resolve("@darklaunch/dashboard/package.json");
    return join(dirname(manifest), "dist");
  } catch {
    return undefined;
  }
}

/**
 * Every file of the build, read once: a request can only name a file that is in this map, so no
 * path from a URL ever reaches the file system.
 */
function loadFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = `/${relative(dir, path).split(sep).join("/")}`;
        files.set(url, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? "application/octet-stream",
          immutable: url.startsWith("/assets/"),
        });
      }
    }
  };
  if (existsSync(join(dir, "index.html"))) walk(dir);
  return files;
}

/**
 * The dashboard at `/`: its hashed assets with a year's cache, every other path that is not the API
 * answered with index.html (the app routes in the browser), each with the security headers.
 */
export function dashboardRoutes(app: FastifyInstance): void {
  let files: Map<string, StaticFile> | undefined;
  const dir = findDashboardDir();
  const get = () => {
    files ??= dir === undefined ? new Map() : loadFiles(dir);
    return files;
  };

  const send = (reply: FastifyReply, file: StaticFile) => {
    reply.headers(SECURITY_HEADERS);
    reply.header("content-type", file.type);
    reply.header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    return reply.send(file.body);
  };

  const serve = async (path: string, reply: FastifyReply) => {
    // Unknown API paths keep the API's JSON 404, not the app's page.
    if (path.startsWith("/api/") || path.startsWith("/ofrep/")) {
      // An API path reaches this catch-all when one of its segments is too long for the router to
      // match its own route: answer as the router would without the catch-all.
      if (path.split("/").some((segment) => segment.length > MAX_PARAM_LENGTH)) {
        return reply.code(414).send({ code: "URI_TOO_LONG", message: `a path segment is longer than ${MAX_PARAM_LENGTH} characters` });
      }
      return reply.code(404).send({ code: "NOT_FOUND", message: `no route GET ${path}` });
    }
    const built = get();
    const index = built.get("/index.html");
    if (index === undefined) {
      reply.headers(SECURITY_HEADERS);
      return reply
        .code(503)
        .type("text/plain; charset=utf-8")
        .send("The dashboard is not built: run `npm run build` at the repository root, then restart the server.\n");
    }
    const file = built.get(path);
    if (file !== undefined) return send(reply, file);
    // A missing file (a stale hashed asset) is a 404; any other path is a page of the app.
    if (extname(path) !== "") return reply.code(404).type("text/plain; charset=utf-8").send(`no file ${path}\n`);
    return send(reply, index);
  };

  app.get("/", { config: { scope: "public" } }, async (_request, reply) => serve("/", reply));
  app.get("/*", { config: { scope: "public" } }, async (request, reply) => serve(request.url.split("?")[0] ?? "/", reply));
}
