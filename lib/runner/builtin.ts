// Runs a config on reef's built-in engine (lib/engine) until the input ends or a stop signal
// arrives; stop drains in-flight messages within the config's shutdown_timeout.
import { loadConfig, startStream } from "../engine";

export async function runBuiltin(
  config: string,
  env: NodeJS.ProcessEnv,
  started: () => void,
): Promise<number> {
  const stream = await startStream(loadConfig(config, { env }), { env });
  started();
  const stop = () => void stream.stop();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    await stream.done;
    return 0;
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  }
}
