// Runs a config on reef's built-in engine (lib/engine) until the input ends or a stop signal
// arrives; stop drains in-flight messages within the config's shutdown_timeout. Telemetry reads
// the engine's own counters and gets its log lines.
import { loadConfig, startStream } from "../engine";
import { builtinSource, lineSplitter, type ExecutionTelemetry } from "../telemetry";
import { RunFailedError, runTimer, stdinOf, type RunOptions } from "./job";

export async function runBuiltin(
  config: string,
  env: NodeJS.ProcessEnv,
  started: () => void,
  telemetry: ExecutionTelemetry,
  run?: RunOptions,
): Promise<number> {
  // What the engine writes on stdout (the stdout output) is part of the execution's log too.
  const restoreStdout = teeStdout((line) => telemetry.engineLine(line));
  const stream = await startStream(loadConfig(config, { env }), {
    env,
    logTap: (level, line) => telemetry.builtinLine(level, line),
    ...(run ? { stdin: stdinOf(run) } : {}),
  });
  telemetry.attach(builtinSource(stream));
  started();
  const stop = () => {
    void telemetry.setState("draining");
    void stream.stop();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  const timer = runTimer(run, stop);
  try {
    await stream.done;
    timer.check();
    // A run succeeds only when every message reached the output without an error (CONTRACT.md §8).
    const { errors, lastError } = stream.telemetry();
    if (run && errors > 0) throw new RunFailedError(errors, lastError?.message);
    return 0;
  } finally {
    timer.clear();
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    restoreStdout();
  }
}

/** Calls `onLine` with every line written to process.stdout (which still gets it); returns the undo. */
function teeStdout(onLine: (line: string) => void): () => void {
  const original = process.stdout.write.bind(process.stdout);
  const lines = lineSplitter(onLine);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(typeof chunk === "string" ? chunk : Buffer.from(chunk));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return () => {
    lines.end();
    process.stdout.write = original;
  };
}
