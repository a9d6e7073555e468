import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer } from "../test-support.js";

// A build of the dashboard in a temp folder, so these tests do not depend on the last real build.
const dir = mkdtempSync(join(tmpdir(), "darklaunch-dashboard-dist-"));
mkdirSync(join(dir, "assets"));
writeFileSync(join(dir, "index.html"), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
writeFileSync(join(dir, "favicon.svg"), "<svg/>");

describe("dashboard static files", () => {
  let t: TestServer;
  const previous = process.env.DARKLAUNCH_DASHBOARD_DIR;
  beforeAll(async () => {
    process.env.DARKLAUNCH_DASHBOARD_DIR = dir;
    t = await startTestServer((await STORE_FACTORIES[0]!.create())!);
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.DARKLAUNCH_DASHBOARD_DIR;
    else process.env.DARKLAUNCH_DASHBOARD_DIR = previous;
    await t.close();
    await t.store.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / without a token, uncached, with the security headers", async () => {
    const page = await t.request("GET", "/", undefined, { scope: "none" });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["cache-control"]).toBe("no-cache");
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
  });

  it("serves hashed assets with a year's immutable cache", async () => {
    const asset = await t.request("GET", "/assets/index-abc123.js", undefined, { scope: "none" });
    expect(asset.status).toBe(200);
    expect(asset.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await t.request("GET", "/favicon.svg", undefined, { scope: "none" })).headers["cache-control"]).toBe("no-cache");
  });

  it("answers the app's pages with index.html, a missing file with 404, and never a path outside the build", async () => {
    const page = await t.request("GET", "/flags/checkout-v2/diffs?x=1", undefined, { scope: "none" });
    expect(page.status).toBe(200);
    expect(page.body).toContain("index-abc123.js");
    expect((await t.request("GET", "/assets/index-old999.js", undefined, { scope: "none" })).status).toBe(404);
    expect((await t.request("GET", "/../package.json", undefined, { scope: "none" })).status).toBe(404);
    expect((await t.request("GET", "/assets/..%2f..%2fpackage.json", undefined, { scope: "none" })).status).toBe(404);
  });

  it("keeps the API's JSON 404 for unknown API paths, and the API's scopes", async () => {
    const missing = await t.request("GET", "/api/v1/nope", undefined, { scope: "none" });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: "NOT_FOUND", message: "no route GET /api/v1/nope" });
    expect((await t.request("GET", "/api/v1/flags", undefined, { scope: "none" })).status).toBe(401);
  });

  it("tells the caller its token's name and scope at /api/v1/whoami", async () => {
    expect((await t.request("GET", "/api/v1/whoami", undefined, { scope: "read" })).body).toEqual({ name: "read-token", scope: "read" });
    expect((await t.request("GET", "/api/v1/whoami")).body).toMatchObject({ scope: "admin" });
    expect((await t.request("GET", "/api/v1/whoami", undefined, { scope: "sdk" })).status).toBe(403);
  });
});
