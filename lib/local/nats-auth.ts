// Credentials of the nats-server that `npm start` starts (CONTRACT.md §5): generated at the first
// start and kept in <REEF_HOME>/nats-server.conf, mode 0600. The file is the server's own config
// (nats-server reads JSON), so the server and every local client read the one secret. A NATS_URL
// the user provides is used as given, with the user's NATS_* credentials: this file plays no part.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalStackError } from "./errors";
import { localPaths } from "./paths";
import { ownedPid } from "./pidfile";

export interface LocalNatsAuth {
  user: string;
  password: string;
  /** The nats-server config file that holds them (`nats-server -c`). */
  configFile: string;
}

const USER = "reef";

export function natsAuthFile(home: string): string {
  return join(home, "nats-server.conf");
}

/** The local credentials, generated (and the config file written, 0600) when there are none yet. */
export function ensureLocalNatsAuth(home: string): LocalNatsAuth {
  const existing = readLocalNatsAuth(home);
  if (existing) {
    chmodSync(existing.configFile, 0o600); // a copied or restored file keeps its secret to its owner
    return existing;
  }
  const configFile = natsAuthFile(home);
  const password = randomBytes(24).toString("hex");
  const config = { authorization: { user: USER, password } };
  writeFileSync(configFile, JSON.stringify(config, null, 2) + "\n", { mode: 0o600, flag: "w" });
  chmodSync(configFile, 0o600); // the mode of writeFileSync applies to new files only
  return { user: USER, password, configFile };
}

/** The local credentials if they exist; a file that is not ours is an error (never overwritten). */
export function readLocalNatsAuth(home: string): LocalNatsAuth | null {
  const configFile = natsAuthFile(home);
  if (!existsSync(configFile)) return null;
  let auth: { user?: unknown; password?: unknown } | undefined;
  try {
    auth = (JSON.parse(readFileSync(configFile, "utf8")) as { authorization?: typeof auth }).authorization;
  } catch {
    auth = undefined;
  }
  if (typeof auth?.user !== "string" || typeof auth.password !== "string" || !auth.user || !auth.password) {
    throw new LocalStackError(
      `${configFile} is not reef's nats-server config (JSON with authorization.user and .password): fix or remove it (a new one is generated)`,
    );
  }
  return { user: auth.user, password: auth.password, configFile };
}

/**
 * For the CLI (`npx reef …` in the project): while the nats-server `npm start` started runs, a
 * command given no NATS credentials (and no NATS_URL, or that server's URL) uses its URL and
 * credentials: no extra step.
 */
export function useLocalNats(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NATS_CREDS || env.NATS_TOKEN || env.NATS_USER) return;
  const paths = localPaths(env);
  const server = ownedPid(paths.natsPidFile);
  if (!server?.url || (env.NATS_URL && env.NATS_URL.trim() !== server.url)) return;
  const auth = readLocalNatsAuth(paths.home);
  if (!auth) return;
  env.NATS_URL = server.url;
  env.NATS_USER = auth.user;
  env.NATS_PASSWORD = auth.password;
}
