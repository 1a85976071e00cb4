// Where the local stack lives: the project folder (serverless.yml) and its `.reef/` state folder.
import { settings, settingsFrom } from "../config";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder with serverless.yml: from the bundle (dist/) or the sources (lib/local/), else cwd. */
export function projectDir(): string {
  const configured = settings().projectDir;
  if (configured) return resolve(configured);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "serverless.yml"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export interface LocalPaths {
  home: string;
  natsStore: string;
  stateDir: string;
  logs: string;
  natsPidFile: string;
  upPidFile: string;
  offlinePidFile: string;
  tetherPidFile: string;
}

/** `.reef/` under the project unless REEF_HOME says otherwise. */
export function localPaths(env: NodeJS.ProcessEnv = process.env, project = projectDir()): LocalPaths {
  const s = settingsFrom(env);
  const home = resolve(project, s.home);
  return {
    home,
    natsStore: join(home, "nats"),
    stateDir: resolve(project, s.stateDir ?? join(home, "state")),
    logs: join(home, "logs"),
    natsPidFile: join(home, "nats-server.pid"),
    upPidFile: join(home, "up.pid"),
    offlinePidFile: join(home, "offline.pid"),
    tetherPidFile: join(home, "tether.pid"),
  };
}
