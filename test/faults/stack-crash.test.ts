// Fault: the whole `npm start` is SIGKILLed as a user's terminal would lose it (its process group,
// mid-burst of changes), definitions change while it is down, and it is started again — twice:
// first its tether ends serverless-offline by itself; then serverless-offline hangs and the tether
// is killed too, and the next start ends what the last one left (pid file + /proc start time). Each restart starts cleanly and
// converges everything: nothing lost, orphaned or doubled; running pipelines are left alone.
// (NATS is one the user provides, so definitions can change while the stack is down.)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createProcessExecutor } from "../../lib/executors/process";
import { freePort } from "../../lib/local";
import { readEvents } from "../../lib/store";
import { openTestStore, uniqueSuffix, waitFor, type TestStore } from "../helpers/nats";
import {
  Changes,
  processIdentity,
  quietConfig,
  ROOT,
  settleAndReport,
  snapshotHealthy,
  worldEnv,
  type World,
} from "./world";

let t: TestStore;
let world: World;
let home: string;
const esbuildFolder = `.reef/esbuild-fault-${uniqueSuffix()}`;
const ups: Up[] = [];

beforeAll(async () => {
  t = await openTestStore();
  home = mkdtempSync(join(tmpdir(), "reef-fault-home-"));
  world = worldEnv(process.env.NATS_URL!, {
    ...t.env,
    NO_COLOR: "1",
    REEF_HOME: home,
    REEF_LAMBDA_PORT: String(await freePort()),
    REEF_HTTP_PORT: String(await freePort()),
    REEF_ESBUILD_WORK_FOLDER: esbuildFolder,
    REEF_OFFLINE_WATCH: ".reef-no-watch",
    REEF_BRIDGE_DURABLE: "fault-stack",
    REEF_LOG_LEVEL: "INFO", // the bridge logs each change it handled
  });
});
afterAll(async () => {
  for (const up of ups) killGroup(up.child.pid!, "SIGKILL");
  // whatever failed: no serverless-offline or tether of ours left behind
  for (const file of ["offline.pid", "tether.pid"]) {
    const pid = pidIn(file);
    if (pid) killGroup(pid, "SIGKILL");
  }
  if (world) {
    const executor = createProcessExecutor(world.env);
    for (const e of await executor.list()) await executor.remove(e);
    world.cleanup();
  }
  await t?.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(join(ROOT, esbuildFolder), { recursive: true, force: true });
}, 60_000);

interface Up {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  handled(): number;
}

/** `npm start` as a terminal runs it: its own process group (the one a lost terminal takes down). */
async function reefUp(): Promise<Up> {
  const child = spawn(process.execPath, [join(ROOT, "dist/reef.mjs"), "up", "--no-sample", "-q"], {
    env: world.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const lines: string[] = [];
  for (const s of [child.stdout!, child.stderr!])
    createInterface({ input: s }).on("line", (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const up = {
    child,
    lines,
    exited,
    handled: () => lines.filter((l) => l.includes('"change handled"')).length,
  };
  ups.push(up);
  await waitFor(
    () => lines.some((l) => l.includes("ready.")) || child.exitCode !== null,
    "reef up ready",
    120_000,
  );
  if (child.exitCode !== null) throw new Error(`reef up exited:\n${lines.join("\n")}`);
  return up;
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidIn(file: string): number | null {
  try {
    return (JSON.parse(readFileSync(join(home, file), "utf8")) as { pid: number }).pid;
  } catch {
    return null;
  }
}

it("whole stack SIGKILLed mid-burst and restarted while definitions change: nothing lost, orphaned or doubled", async () => {
  const store = t.store;
  const executor = createProcessExecutor(world.env);
  const changes = new Changes(() => store);
  const ids = Array.from({ length: 12 }, (_, i) => `stack-${i}`);
  const healthyIds = ["stack-healthy"];
  for (const id of [...ids, ...healthyIds]) await store.putConfig(id, "1", quietConfig(id));
  // a definition written before the stack ever ran: the start's reconcile handles (and records) it
  await store.putDefinition(
    healthyIds[0]!,
    JSON.stringify({ id: healthyIds[0], status: "published", version: "1" }),
  );

  const first = await reefUp();
  await waitFor(
    async () => (await store.getStatus(healthyIds[0]!))?.phase === "running",
    "healthy running",
    60_000,
  );
  const healthy = await snapshotHealthy(executor, healthyIds, processIdentity(world.stateDir));

  const rounds = [
    { status: "published", version: "1" },
    { status: "paused", version: "1" },
    { status: "draft" },
  ];
  const write = (round: number) =>
    Promise.all(
      ids.map((id, i) => {
        const def = rounds[(round + i) % rounds.length]!;
        return i % 5 === 4 && round % 2 === 1 ? changes.delete(id) : changes.put(id, def);
      }),
    );

  // crash 1: the process group of npm start, mid-burst; the tether ends serverless-offline
  const burst1 = (async () => {
    for (let round = 0; round < 3; round++) await write(round);
  })();
  await waitFor(() => first.handled() >= 3, "some changes handled", 60_000);
  const offline1 = pidIn("offline.pid")!;
  killGroup(first.child.pid!, "SIGKILL");
  await burst1;
  await write(3); // while it is down
  await waitFor(() => !alive(offline1), "serverless-offline ended by the tether", 30_000);

  const second = await reefUp();
  expect(second.lines.join("\n")).not.toMatch(/already in use/);
  await settleAndReport(
    {
      scenario: "whole stack SIGKILL mid-burst, changes while down, restart",
      store,
      executor,
      changes,
      healthy,
      identify: processIdentity(world.stateDir),
    },
    90_000,
  );

  // crash 2, mid-burst again, and worse: serverless-offline hangs (frozen: it notices nothing and
  // keeps its ports) and the tether dies too, as if the OOM killer took it
  const burst2 = (async () => {
    for (let round = 4; round < 6; round++) await write(round);
  })();
  const handledBefore = second.handled();
  await waitFor(() => second.handled() >= handledBefore + 3, "some changes handled", 60_000);
  const offline2 = pidIn("offline.pid")!;
  killGroup(offline2, "SIGSTOP");
  killGroup(pidIn("tether.pid")!, "SIGKILL");
  killGroup(second.child.pid!, "SIGKILL");
  await burst2;
  await write(6); // while it is down
  expect(alive(offline2)).toBe(true);

  const third = await reefUp();
  expect(third.lines.join("\n")).toMatch(
    new RegExp(
      `recovered\\s+ended serverless-offline \\(pid ${offline2}\\) left running by a start that did not stop`,
    ),
  );
  expect(alive(offline2)).toBe(false);
  await settleAndReport(
    {
      scenario: "…again, serverless-offline hung and tether killed; restart (both crashes)",
      store,
      executor,
      changes,
      healthy,
      identify: processIdentity(world.stateDir),
      notes: [
        "two crashes: the tether ended serverless-offline by itself; then, serverless-offline hung and the tether killed, the next start ended it",
      ],
    },
    90_000,
  );
  // the last change of each pipeline is in the history, whoever handled it (the bridge or a
  // start's reconcile); a record follows its converge, so it may arrive a moment later
  const lastPerKey = new Map<string, number>();
  for (const c of changes.made) lastPerKey.set(c.key, Math.max(lastPerKey.get(c.key) ?? 0, c.revision));
  const unrecorded = async () => {
    const recorded = new Set(
      (await readEvents(store)).map((e) => `${e.record?.event.key}@${e.record?.event.revision}`),
    );
    return [...lastPerKey].map(([key, revision]) => `${key}@${revision}`).filter((k) => !recorded.has(k));
  };
  await waitFor(async () => (await unrecorded()).length === 0, "every last change recorded", 30_000).catch(
    async () => expect(await unrecorded()).toEqual([]),
  );

  killGroup(third.child.pid!, "SIGINT");
  expect(await third.exited).toBe(0);
}, 300_000);
