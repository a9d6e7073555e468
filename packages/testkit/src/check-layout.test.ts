import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../../scripts/check-layout.mjs", import.meta.url));
const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A throwaway repository tree: relative path → file text. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "darklaunch-layout-"));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function checkLayout(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, root], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

describe("scripts/check-layout.mjs", () => {
  const clean = {
    "packages/core/src/index.ts": 'export { x } from "./x.js";\n',
    "packages/core/src/x.ts": "export const x = 1;\n",
    "packages/server/src/index.ts": 'import { x } from "@darklaunch/core";\nexport const y = x;\n',
    "packages/server/src/y.test.ts": 'import { STORE_FACTORIES } from "@darklaunch/testkit";\nimport { helper } from "./test-helper.js";\n',
    "packages/server/src/test-helper.ts": "export const helper = 1;\n",
    "packages/testkit/src/index.ts": 'import { x } from "@darklaunch/core";\nexport const STORE_FACTORIES = [x];\n',
  };

  it("passes a tree whose packages talk through their names and whose test helpers stay in tests", async () => {
    const result = await checkLayout(tree(clean));
    expect(result).toMatchObject({ code: 0, stdout: "layout: ok\n" });
  });

  it("fails (exit 1) on a reach into another package's src, and on production code importing test helpers", async () => {
    const result = await checkLayout(
      tree({
        ...clean,
        "packages/server/src/y.test.ts": 'import { x } from "../../core/src/x.js";\n',
        "packages/server/src/z.ts": 'import { helper } from "./test-helper.js";\nexport { STORE_FACTORIES } from "@darklaunch/testkit";\n',
        "examples/shop/src/main.ts": 'export { x } from "../../../packages/core/src/x.js";\n',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n").filter((line) => line !== "")).toEqual([
      "layout: 4 problem(s)",
      'packages/server/src/y.test.ts:1: imports "../../core/src/x.js" from another package by path; import its package name instead',
      'packages/server/src/z.ts:1: production code imports the test helper "./test-helper.js"',
      'packages/server/src/z.ts:2: production code imports "@darklaunch/testkit"',
      'examples/shop/src/main.ts:1: imports "../../../packages/core/src/x.js" from another package by path; import its package name instead',
    ]);
  });
});
