#!/usr/bin/env node
// The command's entry point is committed, not built: npm links a package's `bin` while it installs,
// before anything is compiled, and skips an entry whose file does not exist yet. This file always
// exists and loads the compiled CLI, or says how to build it.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    "error: darklaunch is not built yet (packages/cli/dist/main.js is missing)\n" +
      "run `npm run build` at the repository root (`npm ci` and `npm start` build it too)\n",
  );
  process.exit(1);
}
await import(main.href);
