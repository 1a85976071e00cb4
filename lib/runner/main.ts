// The execution entrypoint: bundled as dist/runner.mjs. `runner.mjs host` runs a reef host
// (many executions as streams, lib/host) instead of one execution.
import { runHostFromEnv } from "../host";
import { runFromEnv } from "./index";

process.exitCode = process.argv[2] === "host" ? await runHostFromEnv() : await runFromEnv();
