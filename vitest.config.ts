import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of sibling packages, not their last build.
    conditions: ["darklaunch-source"],
  },
  // Vitest runs tests in the SSR environment, which takes its own conditions: without these the
  // sibling packages resolved to their dist (the last build), not their sources.
  ssr: { resolve: { conditions: ["darklaunch-source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "examples/*/src/**/*.test.ts"],
    reporters: ["default", "./vitest-summary-reporter.ts"],
    // Vitest's default is one worker fewer than the cores: on CI's 2 cores the suite ran file by file
    // (~15 min). Most of it waits on real servers, processes and browsers, so two files at once fit.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
