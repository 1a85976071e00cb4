// Whether the suites that need the Docker daemon can run. reef uses Docker only when a daemon
// answers, so without one these suites skip and say why; in CI (CI=true) a missing daemon is a
// broken machine, and the suite fails instead of hiding it.
import { dockerAnswers } from "../../lib/executors/docker";

export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env.CI ?? "").toLowerCase();
  return ci !== "" && ci !== "false" && ci !== "0";
}

/**
 * Null when a Docker daemon answers; otherwise why not, after printing that `suite` is skipped.
 * Throws in CI. Use as `describe.skipIf(await dockerSkipReason("…"))`.
 */
export async function dockerSkipReason(suite: string, env = process.env): Promise<string | null> {
  // A generous ping timeout: the machine may be busy; an absent daemon fails at once anyway.
  if (await dockerAnswers(env, 5_000)) return null;
  const why = `no Docker daemon answers at ${env.DOCKER_HOST || "unix:///var/run/docker.sock"}`;
  if (inCi(env)) throw new Error(`${suite}: ${why}; in CI a missing daemon is a failure, not a skip`);
  console.warn(`${suite} skipped: ${why}`);
  return why;
}
