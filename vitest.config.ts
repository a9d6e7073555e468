import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of sibling packages, not their last build.
    conditions: ["darklaunch-source"],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts"],
    reporters: ["default", "./vitest-summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
