import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverLogger } from "../logging.js";
import { STORE_FACTORIES, startTestServer, type TestServer, type TestStore } from "../test-support.js";

describe("error logging", () => {
  const lines: string[] = [];
  let t: TestServer;
  let store: TestStore;

  beforeAll(async () => {
    store = (await STORE_FACTORIES[0]!.create())!;
    // The default logger (no access log), writing where the test can read it.
    t = await startTestServer(store, { logger: serverLogger({ destination: { write: (line) => void lines.push(line) } }) });
    // A route that fails the way a bug does, added before the app is ready.
    t.server.app.get("/api/v1/test-boom", { config: { scope: "read" } }, async () => {
      throw new Error("boom: a bug");
    });
  });
  afterAll(async () => {
    await t.close();
    await store.drop();
  });

  it("logs a 500 as one JSON line with its stack, and never the token, cookie or query secrets", async () => {
    const response = await t.request("GET", "/api/v1/test-boom?token=qs-secret-1&api_key=qs-secret-2&page=2", undefined, {
      headers: { cookie: "session=cookie-secret-3" },
    });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ code: "INTERNAL", message: "internal error; the server log has the details" });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const error = logged.find((entry) => entry.msg === "unhandled error");
    expect(error).toBeDefined();
    expect(error?.level).toBe(50);
    expect((error?.err as { stack: string } | undefined)?.stack).toMatch(/boom: a bug\n\s+at /);
    expect(error?.req).toMatchObject({ method: "GET", url: "/api/v1/test-boom?token=[REDACTED]&api_key=[REDACTED]&page=2" });
    const all = lines.join("\n");
    for (const secret of [t.secrets.admin, "qs-secret-1", "qs-secret-2", "cookie-secret-3"]) expect(all).not.toContain(secret);
  });

  it("logs no access lines by default: a good request writes nothing", async () => {
    const before = lines.length;
    expect((await t.request("GET", "/api/v1/flags")).status).toBe(200);
    expect(lines.length).toBe(before);
  });
});
