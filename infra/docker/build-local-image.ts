// `npm run image:local`: builds reef-runner:local without any registry (see
// lib/executors/docker/local-image.ts). Rebuilds only when the content hash changed.
//   --force   rebuild even if up to date
import { DEFAULT_RUNNER_IMAGE, ensureLocalRunnerImage } from "../../lib/executors/docker";

const started = Date.now();
const result = await ensureLocalRunnerImage({
  image: DEFAULT_RUNNER_IMAGE, // this command always builds the local image, whatever REEF_RUNNER_IMAGE says
  force: process.argv.includes("--force"),
  log: (line) => console.log(line),
});
console.log(
  `${result.image} ${result.built ? "built" : "up to date"} (${result.id.slice(0, 19)}, content ${result.hash.slice(0, 12)}) in ${Date.now() - started} ms`,
);
