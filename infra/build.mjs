// Bundles the entrypoints that run outside vitest: the `reef` CLI (which also hosts the bridge and
// the local stack), the runner (the execution entrypoint, self-contained so an image needs
// nothing but node and this file) and the local stack's tether (lib/local/tether.ts). Lambda bundles are made by serverless-esbuild instead.
import { build } from "esbuild";
import { mkdir, rm } from "node:fs/promises";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  // CommonJS dependencies bundled into ESM still call require().
  banner: {
    js: "import { createRequire as __reefCreateRequire } from 'node:module'; const require = __reefCreateRequire(import.meta.url);",
  },
};

// chunk names carry content hashes: drop the previous build's
await rm("dist/chunks", { recursive: true, force: true });
await mkdir("dist", { recursive: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { reef: "./lib/cli/main.ts" },
    outExtension: { ".js": ".mjs" },
    outdir: "dist",
    packages: "external",
    // Executors and heavy commands are loaded on demand: a chunk per dynamic import keeps
    // `reef --help` from loading the AWS SDK and dockerode.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: "#!/usr/bin/env node\n" + common.banner.js },
  }),
  build({
    ...common,
    entryPoints: { runner: "./lib/runner/main.ts", tether: "./lib/local/tether-main.ts" },
    outExtension: { ".js": ".mjs" },
    outdir: "dist",
  }),
]);
