import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_SECRET, STORE_FACTORIES, type TestStore, testFlag } from "./test-support.js";

// The built server (npm test builds before it tests): a real process, killed for real.
const serverModule = fileURLToPath(new URL("../dist/index.js", import.meta.url));

async function startProcess(store: TestStore): Promise<{ child: ChildProcess; url: string }> {
  const script = `
    import { createServer } from ${JSON.stringify(serverModule)};
    const server = await createServer(${JSON.stringify({ ...store.options, adminToken: ADMIN_SECRET })});
    console.log(JSON.stringify({ url: await server.listen(0, "127.0.0.1") }));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { child, url };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

const headers = { authorization: `Bearer ${ADMIN_SECRET}`, "content-type": "application/json" };

describe.each(STORE_FACTORIES)("durability on $name", (factory) => {
  let store: TestStore | undefined;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    store = await factory.create();
  });
  afterAll(async () => {
    for (const child of children) await kill(child);
    await store?.drop();
  });

  it("a write acknowledged right before SIGKILL is there after a restart", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    const first = await startProcess(store);
    children.push(first.child);
    let version = 0;
    for (let i = 1; i <= 5; i++) {
      const response =
        i === 1
          ? await fetch(`${first.url}/api/v1/flags`, { method: "POST", headers, body: JSON.stringify(testFlag("durable")) })
          : await fetch(`${first.url}/api/v1/flags/durable`, {
              method: "PATCH",
              headers,
              body: JSON.stringify({ percentage: i * 10, version }),
            });
      expect(response.status).toBeLessThan(300);
      version = ((await response.json()) as { version: number }).version;
    }
    // Killed the moment the last write was acknowledged: no shutdown, no flush, no checkpoint.
    await kill(first.child);

    const second = await startProcess(store);
    children.push(second.child);
    const flag = (await (await fetch(`${second.url}/api/v1/flags/durable`, { headers })).json()) as { version: number; percentage: number };
    expect(flag).toMatchObject({ version: 5, percentage: 50 });
    await kill(second.child);
  });
});
