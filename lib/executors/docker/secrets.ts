// NATS secrets given as env (NATS_TOKEN, NATS_PASSWORD) reach containers as read-only files, like
// the creds file: a container's env is plain text to anyone who can `docker inspect` it. The runner
// reads NATS_TOKEN_FILE / NATS_PASSWORD_FILE (lib/store/connection.ts).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where each secret is mounted inside the container. */
export const SECRET_MOUNTS = {
  NATS_TOKEN: "/run/reef/nats-token",
  NATS_PASSWORD: "/run/reef/nats-password",
} as const;

type SecretName = keyof typeof SECRET_MOUNTS;
const NAMES = Object.keys(SECRET_MOUNTS) as SecretName[];

/** The host file that holds a secret (under the executor's private secrets folder). */
export function secretFile(dir: string, name: SecretName): string {
  return join(dir, name.toLowerCase());
}

/**
 * Takes the secrets out of a container's env (edited in place) and returns the binds that mount
 * their files instead, each announced as `<NAME>_FILE`. With a creds file they are dropped: the
 * runner uses the creds first.
 */
export function secretBinds(dir: string, env: Record<string, string>, hasCreds: boolean): string[] {
  const binds: string[] = [];
  for (const name of NAMES) {
    if (env[name] === undefined) continue;
    delete env[name];
    if (hasCreds) continue;
    binds.push(`${secretFile(dir, name)}:${SECRET_MOUNTS[name]}:ro`);
    env[`${name}_FILE`] = SECRET_MOUNTS[name];
  }
  return binds;
}

/**
 * Writes the files of the secrets set in `env`. The folder is the host user's alone (0700); the
 * files are world-readable (0644) so the container's non-root user can read its bind mount. A file
 * is rewritten in place and only when its content changed: containers mount it by inode.
 */
export function writeSecretFiles(dir: string, env: NodeJS.ProcessEnv): void {
  const present = NAMES.filter((name) => env[name]);
  if (!present.length) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of present) {
    const file = secretFile(dir, name);
    let current: string | undefined;
    try {
      current = readFileSync(file, "utf8");
    } catch {
      // not written yet
    }
    if (current !== env[name]) writeFileSync(file, env[name]!, { mode: 0o644 });
  }
}
