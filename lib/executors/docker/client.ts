// A dockerode client for the daemon named by DOCKER_HOST (unix socket, tcp:// or https://),
// else the default socket. Parsed from the env we are given (not process.env) so tests and
// callers can point one executor at another daemon.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { createRequire } from "node:module";

export const DEFAULT_SOCKET = "/var/run/docker.sock";

export function dockerOptions(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs?: number,
): Docker.DockerOptions {
  const host = env.DOCKER_HOST?.trim();
  const base: Docker.DockerOptions = timeoutMs ? { timeout: timeoutMs } : {};
  if (!host) return { ...base, socketPath: DEFAULT_SOCKET };
  if (host.startsWith("unix://"))
    return { ...base, socketPath: host.slice("unix://".length) || DEFAULT_SOCKET };
  if (host.startsWith("/")) return { ...base, socketPath: host };
  const url = new URL(host.includes("//") ? host : `tcp://${host}`);
  const tls = env.DOCKER_TLS_VERIFY === "1" || url.protocol === "https:" || url.port === "2376";
  const opts: Docker.DockerOptions = {
    ...base,
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
    protocol: tls ? "https" : "http",
  };
  const certPath = env.DOCKER_CERT_PATH;
  if (tls && certPath) {
    opts.ca = readFileSync(join(certPath, "ca.pem"));
    opts.cert = readFileSync(join(certPath, "cert.pem"));
    opts.key = readFileSync(join(certPath, "key.pem"));
  }
  return opts;
}

// dockerode is loaded on first use, not at import: the Lambda bundles (ECS executor) include this
// module but must never load dockerode.
const loadCommonJs = createRequire(import.meta.url);

export function dockerClient(env: NodeJS.ProcessEnv = process.env, timeoutMs?: number): Docker {
  const Dockerode = loadCommonJs("dockerode") as typeof Docker;
  return new Dockerode(dockerOptions(env, timeoutMs));
}

/** True when a Docker daemon answers a ping within ~1 s; false on any error. */
export async function dockerAnswers(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 1_000,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const docker = dockerClient(env, timeoutMs);
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs + 100);
    });
    const ping = docker.ping().then(
      () => true,
      () => false,
    );
    return await Promise.race([ping, timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** The HTTP status of a dockerode error (304 not modified, 404 gone, 409 conflict), if any. */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The daemon's message of a dockerode error, without dockerode's "(HTTP code …)" prefix noise. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return err instanceof Error ? err.message : String(err);
}
