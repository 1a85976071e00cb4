// A throwaway PostgreSQL cluster for a test file: initdb into a temp dir, the server on a free
// loopback port with its unix socket in that dir, stopped and removed afterwards. Debian's
// postgresql package (installed by `npm run setup`) provides the binaries. PostgreSQL refuses to run
// as root, so as root the cluster belongs to (and runs as) the unprivileged `postgres` user.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../../lib/local/nats-server";

/** The directory holding initdb and postgres: the newest /usr/lib/postgresql/<ver>/bin, else PATH. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter(
        (v) => existsSync(join(root, v, "bin", "postgres")) && existsSync(join(root, v, "bin", "initdb")),
      )
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(root, versions[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const initdb = which.stdout.trim();
  return which.status === 0 && initdb ? initdb.slice(0, initdb.lastIndexOf("/")) : null;
}

/**
 * Why the PostgreSQL tests cannot run here, or null when they can. Under CI a missing PostgreSQL is
 * an error (setup installs it), not a reason to skip.
 */
export function postgresUnavailable(): string | null {
  if (postgresBinDir()) return null;
  const reason =
    "PostgreSQL binaries not found (initdb/postgres): run `npm run setup` (apt package postgresql)";
  if (process.env.CI === "true") throw new Error(`${reason}; CI must have them`);
  return reason;
}

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres?sslmode=disable` */
  dsn: string;
  port: number;
  /** A DSN for another database of this cluster. */
  dsnFor(database: string): string;
  /** Runs SQL as the superuser on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server (fast shutdown) and starts it again on the same port and data. */
  restart(): Promise<void>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the server and removes the cluster. */
  stop(): Promise<void>;
}

/** The user the cluster runs as: this one, or `postgres` (else `nobody`) when this one is root. */
function clusterUser(): { name: string; uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  for (const name of ["postgres", "nobody"]) {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${name}:`));
    if (line) {
      const [, , uid, gid] = line.split(":");
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new Error("running as root and neither a postgres nor a nobody user exists to run PostgreSQL");
}

/** The command line that runs `bin/<tool> args` as the cluster user (setpriv keeps the pid: no fork). */
function asClusterUser(
  user: ReturnType<typeof clusterUser>,
  bin: string,
  args: string[],
): [string, string[]] {
  if (!user) return [bin, args];
  return ["setpriv", [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", "--", bin, ...args]];
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error(postgresUnavailable() ?? "PostgreSQL binaries not found");
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), "reef-test-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, "data");
  const [initCmd, initArgs] = asClusterUser(user, join(binDir, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=trust",
    "--encoding=UTF8",
    "--no-sync",
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: "utf8", cwd: dir });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const dsnFor = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}?sslmode=disable`;
  const dsn = dsnFor("postgres");
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = "";

  const startServer = async () => {
    const [cmd, args] = asClusterUser(user, join(binDir, "postgres"), [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=100",
    ]);
    log = "";
    const c = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], cwd: dir });
    c.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    child = c;
    exited = new Promise((resolve) => c.once("exit", () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`postgres exited at start: ${log}`);
      const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query("SELECT 1");
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) {
        c.kill("SIGKILL");
        throw new Error(`postgres did not accept connections on port ${port} within 30 s: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stopServer = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    // SIGINT = fast shutdown: clients are disconnected, data is flushed.
    c.kill("SIGINT");
    const timer = setTimeout(() => c.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await startServer();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    dsn,
    port,
    dsnFor,
    async query(sql, params) {
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    stopServer,
    startServer,
    async restart() {
      await stopServer();
      await startServer();
    },
    async stop() {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
