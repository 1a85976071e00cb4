// Runs a config on reef's built-in engine (lib/engine) until it ends or a stop signal arrives.
import { EngineNotFoundError } from "../model";

export async function runBuiltin(_config: string, _env: NodeJS.ProcessEnv): Promise<number> {
  throw new EngineNotFoundError(
    "no benthos, redpanda-connect or bento binary on PATH and the built-in engine is not available in this build",
  );
}
