// The execution entrypoint: bundled as dist/runner.mjs.
import { runFromEnv } from "./index";

process.exitCode = await runFromEnv();
