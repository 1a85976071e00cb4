// The tether process (dist/tether.mjs; see tether.ts): reads `own <pid> <startTime>` and
// `release <pid>` lines on stdin until the pipe from reef up closes, then ends each process group it
// still owns (SIGTERM, SIGKILL after the grace period given as its argument) and exits.
import { createInterface } from "node:readline";
import { terminate } from "../processes";

const graceMs = Number(process.argv[2]) || 5_000;
const owned = new Map<number, string | null>();

createInterface({ input: process.stdin })
  .on("line", (line) => {
    const [kind, pidText, startTime] = line.trim().split(" ");
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1) return;
    if (kind === "own") owned.set(pid, startTime && startTime !== "-" ? startTime : null);
    else if (kind === "release") owned.delete(pid);
  })
  .on("close", () => {
    void Promise.all([...owned].map(([pid, startTime]) => terminate(pid, startTime, graceMs))).finally(() =>
      process.exit(0),
    );
  });
