import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "lib/**/*.test.ts"],
    globalSetup: ["test/setup/global.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The suites share one nats-server and the machine has two cores; parallel files are fine,
    // each test uses its own buckets.
    pool: "forks",
    maxWorkers: 2,
  },
});
