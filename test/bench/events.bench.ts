// Event history: what the hash chain costs. (a) appending records with appendEvent (read the
// pipeline's last record, hash, publish with expected-last-subject-sequence) against a plain
// JetStream publish of the same bytes; (b) 8 concurrent writers on ONE pipeline (every conflict is
// a retry); (c) verifyChains over the stream against just reading it (readEvents). Reports, never asserts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { jetstream } from "@nats-io/jetstream";
import { startNatsServer } from "../../lib/local";
import {
  appendEvent,
  connectNats,
  readEvents,
  Store,
  verifyChains,
  type EventRecordInput,
} from "../../lib/store/internal";
import { uniqueNames } from "../helpers/nats";

const N = 1_000;
const PIPELINES = 10;

function record(id: string, revision: number): EventRecordInput {
  return {
    event: { key: id, operation: "PUT", revision, timestamp: new Date().toISOString() },
    outcome: "ok",
    result: {
      id,
      revision,
      operation: "PUT",
      desired: "published",
      observed: [
        {
          id: `reef-${id}-0`,
          pipeline: id,
          version: "1",
          digest: "ab".repeat(32),
          replica: 0,
          state: "running",
        },
      ],
      actions: [`remove ${id}#0 v1 (reef-${id}-0)`, `start ${id}#0 v2`],
      phase: "running",
      error: null,
    },
    durationMs: 42,
    handledAt: new Date().toISOString(),
    attempts: 1,
  };
}

const us = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(0)} µs/record`;

export default async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "reef-bench-events-"));
  const server = await startNatsServer({ storeDir: dir });
  const nc = await connectNats({ env: { NATS_URL: server.url } });
  try {
    const chained = await Store.open(nc, { names: uniqueNames().names });
    const plain = await Store.open(nc, { names: uniqueNames().names });
    const js = jetstream(nc);

    // warm-up both paths
    for (let i = 0; i < 20; i++) {
      await appendEvent(chained, record(`warm`, i));
      await js.publish(plain.eventSubject("warm"), JSON.stringify(record("warm", i)));
    }

    let t = performance.now();
    for (let i = 0; i < N; i++) await appendEvent(chained, record(`p${i % PIPELINES}`, i));
    const appendMs = performance.now() - t;

    t = performance.now();
    for (let i = 0; i < N; i++) {
      await js.publish(
        plain.eventSubject(`p${i % PIPELINES}`),
        JSON.stringify(record(`p${i % PIPELINES}`, i)),
      );
    }
    const publishMs = performance.now() - t;

    console.log(`(a) ${N} sequential records over ${PIPELINES} pipelines`);
    console.log(`    appendEvent (chained):   ${appendMs.toFixed(0)} ms  ${us(appendMs, N)}`);
    console.log(`    js.publish (baseline):   ${publishMs.toFixed(0)} ms  ${us(publishMs, N)}`);
    console.log(`    ratio: ${(appendMs / publishMs).toFixed(2)}x`);

    const M = 200;
    const W = 8;
    t = performance.now();
    await Promise.all(
      Array.from({ length: W }, async (_, w) => {
        for (let i = w; i < M; i += W) await appendEvent(chained, record("hot", i));
      }),
    );
    const concMs = performance.now() - t;
    const hot = await readEvents(chained, { pipeline: "hot" });
    const linear = hot.every((e, i) => i === 0 || e.record!.prevSeq === hot[i - 1].seq);
    console.log(`(b) ${W} concurrent writers, ${M} records on one pipeline`);
    console.log(
      `    ${concMs.toFixed(0)} ms  ${us(concMs, M)}; ${hot.length} records, one unforked chain: ${linear}`,
    );

    t = performance.now();
    const all = await readEvents(chained);
    const readMs = performance.now() - t;
    t = performance.now();
    const report = await verifyChains(chained);
    const verifyMs = performance.now() - t;
    console.log(`(c) ${all.length} records in the stream`);
    console.log(`    verifyChains:            ${verifyMs.toFixed(0)} ms  (ok: ${report.ok})`);
    console.log(`    readEvents (baseline):   ${readMs.toFixed(0)} ms`);
    console.log(`    ratio: ${(verifyMs / readMs).toFixed(2)}x`);
  } finally {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
