// The runner's state file inside a container. It lives on a tiny tmpfs-backed anonymous volume
// (not the container's /tmp tmpfs, which the archive API cannot read), owned by the runner's user,
// emptied whenever the container stops and removed with the container (`remove … v: true`).
import type Docker from "dockerode";
import { extract } from "tar-stream";
import { parseRunnerState, type RunnerState } from "../../model";
import { statusCodeOf } from "./client";

export const STATE_DIR = "/run/reef/state";
export const STATE_FILE = "runner.json";

/** The anonymous volume the state file is written to, writable by `user` only. */
export function stateVolume(user: string): Docker.MountSettings {
  const [uid, gid] = user.split(":");
  const numeric = /^\d+$/.test(uid) && (gid === undefined || /^\d+$/.test(gid));
  const owner = numeric ? `,uid=${uid},gid=${gid ?? uid},mode=0700` : ",mode=1777";
  return {
    Type: "volume",
    Source: "", // anonymous: created with the container, removed with it
    Target: STATE_DIR,
    VolumeOptions: {
      NoCopy: true,
      Labels: { "reef.volume": "runner-state" },
      DriverConfig: {
        Name: "local",
        Options: { type: "tmpfs", device: "tmpfs", o: `size=1m,noexec,nosuid${owner}` },
      },
    },
  };
}

/** The state file; null when not written yet (or half-written); "unreadable" when the daemon refuses. */
export async function readRunnerState(
  container: Docker.Container,
): Promise<RunnerState | null | "unreadable"> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = await container.getArchive({ path: `${STATE_DIR}/${STATE_FILE}` });
  } catch (err) {
    return statusCodeOf(err) === 404 ? null : "unreadable";
  }
  // Half-written, not JSON or no state file at all: not started yet as far as we can tell.
  return parseRunnerState(await firstFile(archive).catch(() => ""));
}

function firstFile(archive: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const x = extract();
    let text: string | undefined;
    x.on("entry", (_header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on("end", () => {
        text ??= Buffer.concat(chunks).toString("utf8");
        next();
      });
      stream.resume();
    });
    x.on("finish", () => (text === undefined ? reject(new Error("empty archive")) : resolve(text)));
    x.on("error", reject);
    archive.pipe(x);
  });
}
