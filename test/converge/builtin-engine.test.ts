// The whole path on a machine without any Benthos binary: a published nats → mapping → nats
// pipeline runs under the process executor with REEF_ENGINE=auto (→ the built-in engine).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { convergeSettled } from "../helpers/converge";
import { ENGINE_BINARIES, findOnPath } from "../../lib/runner";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, putConfig, putDefinition, type ProcessWorld } from "../helpers/pipelines";

let w: ProcessWorld;
beforeAll(async () => {
  // Keep PATH but make sure no Benthos-compatible binary is found on it.
  const found = ENGINE_BINARIES.map((b) => findOnPath(b, process.env.PATH)).filter(Boolean);
  expect(found, "this test needs a machine without benthos/redpanda-connect/bento on PATH").toEqual([]);
  w = await openProcessWorld({ REEF_ENGINE: "auto" });
});
afterAll(() => w.destroy());

it("runs a published nats → mapping → nats pipeline on the built-in engine", async () => {
  const id = `enrich-${randomBytes(3).toString("hex")}`;
  const subjects = { in: `in.${id}`, out: `out.${id}` };
  await putConfig(
    w,
    id,
    "1",
    `input:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subjects.in}
pipeline:
  processors:
    - mapping: |
        root.order = this.id
        root.total = this.items.map_each(i -> i.price * i.qty).sum()
        root.pipeline = env("PIPELINE_ID")
output:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subjects.out}
`,
  );
  await putDefinition(w, { id, status: "published", version: "1" });
  const sub = w.nc.subscribe(subjects.out, { max: 1 });
  const r = await convergeSettled(w.deps, id);
  expect(r).toMatchObject({ phase: "running", error: null });

  // The subscription may be up before the engine's: publish until the first answer arrives.
  const received = (async () => {
    for await (const m of sub) return m.json();
  })();
  const payload = JSON.stringify({
    id: "o-1",
    items: [
      { price: 2.5, qty: 2 },
      { price: 1, qty: 3 },
    ],
  });
  let answer: unknown;
  received.then((v) => (answer = v));
  await waitFor(
    () => {
      if (answer) return answer;
      w.nc.publish(subjects.in, payload);
      return null;
    },
    "the pipeline's first output message",
    20_000,
  );
  expect(answer).toEqual({ order: "o-1", total: 8, pipeline: id });
});
