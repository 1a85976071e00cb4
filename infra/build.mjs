// Bundles the entrypoints that run outside vitest: the `reef` CLI (which also hosts the bridge and
// the local stack), the runner (the execution entrypoint, self-contained so an image needs
// nothing but node and this file), the local stack's tether (lib/local/tether.ts) and the web
// console (dist/console, served by the api function at /ui and packaged with it). Lambda bundles
// are made by serverless-esbuild instead.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";

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

/** The console: a browser bundle split into chunks (mermaid and the OIDC client load on demand). */
async function buildConsole() {
  const out = "dist/console";
  const result = await build({
    entryPoints: { main: "./lib/console/web/main.tsx" },
    bundle: true,
    platform: "browser",
    format: "esm",
    target: ["chrome111", "firefox115", "safari16.4"],
    splitting: true,
    minify: true,
    jsx: "automatic",
    jsxImportSource: "preact",
    outdir: `${out}/assets`,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    assetNames: "[name]-[hash]",
    metafile: true,
    legalComments: "linked",
    logLevel: "warning",
  });
  const [js, entry] = Object.entries(result.metafile.outputs).find(([, o]) =>
    o.entryPoint?.endsWith("main.tsx"),
  );
  const html = (await readFile("lib/console/web/index.html", "utf8"))
    .replace("{{js}}", basename(js))
    .replace("{{css}}", basename(entry.cssBundle));
  await writeFile(`${out}/index.html`, html);
}

// chunk names carry content hashes: drop the previous build's
await rm("dist/chunks", { recursive: true, force: true });
await rm("dist/console", { recursive: true, force: true });
await mkdir("dist", { recursive: true });
await Promise.all([
  buildConsole(),
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
