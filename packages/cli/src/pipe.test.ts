import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN } from "./test-cli.js";

describe("output into a reader that stops early", () => {
  it("exits quietly when the pipe is closed (`darklaunch --help | head -0`)", async () => {
    const child = spawn(process.execPath, [BIN, "--help"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    // Closing our end of stdout before the child has started means its first write meets EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
