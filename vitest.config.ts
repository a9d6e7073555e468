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
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
