import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { AuditEntry } from "@darklaunch/core";

// Helpers of the end-to-end tests that run real processes (ramp-end-to-end.test.ts,
// business-metric-end-to-end.test.ts).

/** Steps a test runs after it, newest first (each test file calls them in its `afterEach`). */
export type Cleanup = (() => Promise<unknown>)[];

/** A request to a server's API with `token`; the body parsed as JSON (undefined when empty). */
export async function apiAs(
  token: string,
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** Resolves with the URL a child process prints ("listening on http://…"); stopped (SIGTERM) by `cleanup`. */
export async function listening(child: ChildProcess, what: string, cleanup: Cleanup): Promise<string> {
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
  });
  let output = "";
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code}: ${output}`)));
  });
}

/**
 * A service in its own Node process, run from this folder (so it imports `@darklaunch/sdk` as an
 * application would): `script` is an ES module that creates an HTTP server `server` and an SDK
 * client `client`; it listens on an ephemeral port, and SIGTERM closes the client (its last windows
 * are sent) before the process exits. Resolves once it listens; stopped by `cleanup`.
 */
export async function serviceProcess(script: string, what: string, cleanup: Cleanup): Promise<{ url: string; child: ChildProcess }> {
  const module = `${script}
    server.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + server.address().port));
    process.on("SIGTERM", async () => { await client.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", module], {
    cwd: fileURLToPath(new URL(".", import.meta.url)),
    env: { PATH: process.env.PATH, NODE_NO_WARNINGS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { url: await listening(child, what, cleanup), child };
}

/** Polls `read` every 100 ms until `done` holds for its answer; fails with the last answer after `ms`. */
export async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The flag's newest audit entry with `action` (the API's own `action` filter), waited for: a ramp
 * stores its new state first and changes the flag (which audits it) just after, so a ramp already
 * read as ended may not have its entry yet.
 */
export async function auditEntry(token: string, base: string, flag: string, action: string): Promise<AuditEntry> {
  const path = `/api/v1/flags/${flag}/audit?action=${encodeURIComponent(action)}&limit=1`;
  const entry = await waitFor(
    `the ${action} audit entry of ${flag}`,
    async () => ((await apiAs(token, base, "GET", path)).body.entries as AuditEntry[])[0],
    (found) => found !== undefined,
  );
  return entry as AuditEntry;
}
