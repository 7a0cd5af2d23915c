import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "adapters/*/test/**/*.test.ts"],
    globalSetup: ["test/harness/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration files start their own servers on free ports; two at a time fits 2 cores.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
