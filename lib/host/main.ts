// `reef host` (and `node runner.mjs host`): runs a host until SIGTERM / SIGINT, then drains its
// streams and leaves the hosts bucket, so its placements move at once.
import { toStatusError, formatFatalLine } from "../model";
import { ReefHost } from "./host";

export async function runHostFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let host: ReefHost;
  try {
    host = await ReefHost.start({ env });
  } catch (err) {
    process.stderr.write(`${formatFatalLine(toStatusError(err, "EXECUTOR_ERROR"))}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await host.stop();
  return 0;
}
