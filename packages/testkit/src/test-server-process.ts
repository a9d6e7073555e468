import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerOptions } from "@darklaunch/server";

/**
 * The built server (`npm test` builds before it tests): a real process, to be killed for real.
 * Tests resolve the package to its sources (the `darklaunch-source` condition), which plain Node
 * cannot run, so this takes the package's `default` export (its dist) from its package.json.
 */
function builtServerModule(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve("@darklaunch/server")));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { exports: { ".": { default: string } } };
  return join(dir, manifest.exports["."].default);
}

const serverModule = builtServerModule();

export interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/**
 * Starts `createServer(options)` in its own Node process and resolves with its URL once it listens
 * (port 0 picks a free one). JSON-serializable options only.
 */
export async function startServerProcess(options: ServerOptions, port = 0): Promise<ServerProcess> {
  const script = `
    import { createServer } from ${JSON.stringify(serverModule)};
    const server = await createServer(${JSON.stringify(options)});
    console.log(JSON.stringify({ url: await server.listen(${port}, "127.0.0.1") }));
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

/** SIGKILL: no shutdown, no flush. Resolves when the process is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}
