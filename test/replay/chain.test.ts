// The hash-chained events stream: append, read with filters, verify, and detection of tampering.
import { randomBytes } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appendEvent,
  canonicalJson,
  eventsRetentionFromEnv,
  readEvents,
  recordHash,
  verifyChains,
  Store,
  type EventRecord,
} from "../../lib/store";
import { openTestStore, uniqueNames, type TestStore } from "../helpers/nats";
import { fakeRecord } from "./helpers";
import { natsHandles } from "../../lib/store/internal";

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(async () => {
  await t.close();
});

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

/** A fresh store (own stream) so stream-level checks see only this test's records. */
async function freshStore(opts: { eventsMaxBytes?: number } = {}): Promise<Store> {
  return Store.open(t.nc, { names: uniqueNames().names, ...opts });
}

describe("appendEvent", () => {
  it("chains the records of each pipeline and keeps pipelines apart", async () => {
    const store = await freshStore();
    const a = uid("a");
    const b = uid("b");
    const a1 = await appendEvent(store, fakeRecord(a, 1));
    const b1 = await appendEvent(store, fakeRecord(b, 2));
    const a2 = await appendEvent(store, fakeRecord(a, 3));
    expect(a1.record).toMatchObject({ prevSeq: null, prevHash: null });
    expect(b1.record).toMatchObject({ prevSeq: null, prevHash: null });
    expect(a2.record!.prevSeq).toBe(a1.seq);
    // prevHash is the SHA-256 of the previous record's bytes as stored
    const { createHash } = await import("node:crypto");
    expect(a2.record!.prevHash).toBe(createHash("sha256").update(a1.data).digest("hex"));
    // hash covers the canonical record without `hash`
    const { hash, ...rest } = a2.record!;
    expect(hash).toBe(createHash("sha256").update(canonicalJson(rest)).digest("hex"));
    expect(recordHash(rest)).toBe(hash);

    const read = await readEvents(store, { pipeline: a });
    expect(read.map((e) => e.seq)).toEqual([a1.seq, a2.seq]);
    expect((await verifyChains(store)).ok).toBe(true);
  });

  it("never forks a chain under concurrent appends for one pipeline", async () => {
    const store = await freshStore();
    const id = uid("conc");
    // two connections' worth of writers racing on the same subject
    await Promise.all(Array.from({ length: 12 }, (_, i) => appendEvent(store, fakeRecord(id, i + 1))));
    const events = await readEvents(store, { pipeline: id });
    expect(events).toHaveLength(12);
    // a single line: every record points at the one before it
    for (let i = 1; i < events.length; i++) expect(events[i].record!.prevSeq).toBe(events[i - 1].seq);
    const report = await verifyChains(store);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.chains).toEqual([expect.objectContaining({ pipeline: id, records: 12 })]);
  });

  it("chains after records another process appended (its cached head is stale)", async () => {
    const a = await freshStore();
    const b = await Store.open(t.nc, { names: a.names }); // another writer: its own view of the heads
    const id = uid("stale");
    const r1 = await appendEvent(a, fakeRecord(id, 1));
    const r2 = await appendEvent(b, fakeRecord(id, 2));
    const r3 = await appendEvent(a, fakeRecord(id, 3)); // a last saw r1
    expect(r2.record!.prevSeq).toBe(r1.seq);
    expect(r3.record!.prevSeq).toBe(r2.seq);
    expect((await verifyChains(a)).ok).toBe(true);
  });

  it("deduplicates a retried identical record", async () => {
    const store = await freshStore();
    const id = uid("dup");
    const rec = fakeRecord(id, 1);
    const first = await appendEvent(store, rec);
    const again = await appendEvent(store, rec);
    expect(again.seq).toBe(first.seq);
    expect(await readEvents(store, { pipeline: id })).toHaveLength(1);
  });
});

describe("readEvents filters", () => {
  it("filters by pipeline, time, failure and sequence", async () => {
    const store = await freshStore();
    const id = uid("f");
    const other = uid("o");
    const e1 = await appendEvent(store, fakeRecord(id, 1));
    const e2 = await appendEvent(
      store,
      fakeRecord(id, 2, {
        outcome: "failed",
        result: undefined,
        error: { code: "NATS_ERROR", message: "boom" },
      }),
    );
    const e3 = await appendEvent(store, fakeRecord(other, 3));
    const all = await readEvents(store);
    expect(all.map((e) => e.seq)).toEqual([e1.seq, e2.seq, e3.seq]);
    expect((await readEvents(store, { failed: true })).map((e) => e.seq)).toEqual([e2.seq]);
    expect((await readEvents(store, { fromSeq: e2.seq, toSeq: e2.seq })).map((e) => e.seq)).toEqual([e2.seq]);
    expect((await readEvents(store, { pipeline: other })).map((e) => e.seq)).toEqual([e3.seq]);
    const future = new Date(Date.now() + 60_000);
    expect(await readEvents(store, { since: future })).toEqual([]);
    const past = new Date(all[0].time.getTime() - 1);
    expect(await readEvents(store, { until: past })).toEqual([]);
    expect(await readEvents(store, { pipeline: uid("none") })).toEqual([]);
  });
});

describe("verifyChains", () => {
  async function threeRecords(store: Store, id: string) {
    const out = [];
    for (let i = 1; i <= 3; i++) out.push(await appendEvent(store, fakeRecord(id, i)));
    return out;
  }

  it("detects a record dropped from the middle of a chain", async () => {
    const store = await freshStore();
    const id = uid("mid");
    const [, r2, r3] = await threeRecords(store, id);
    await natsHandles(store).jsm.streams.deleteMessage(store.names.events, r2.seq);
    const report = await verifyChains(store);
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toMatchObject({ kind: "deleted", seq: r2.seq });
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: "link", pipeline: id, seq: r3.seq }),
    );
    // verify of that pipeline alone also sees it
    expect((await verifyChains(store, { pipeline: id })).problems).toContainEqual(
      expect.objectContaining({ kind: "link", seq: r3.seq }),
    );
  });

  it("detects the last record of a chain being dropped", async () => {
    const store = await freshStore();
    const id = uid("tail");
    const [, , r3] = await threeRecords(store, id);
    await appendEvent(store, fakeRecord(uid("other"), 9)); // the tail is not the stream's last message
    await natsHandles(store).jsm.streams.deleteMessage(store.names.events, r3.seq);
    const report = await verifyChains(store, { pipeline: id });
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toMatchObject({ kind: "deleted", seq: r3.seq });
  });

  it("detects an edited record (content no longer matches its hash)", async () => {
    const store = await freshStore();
    const id = uid("edit");
    const [, r2] = await threeRecords(store, id);
    // an edit in place is impossible in JetStream: the forger deletes it and appends an edited copy
    const edited = { ...r2.record!, outcome: "failed" } as EventRecord;
    await natsHandles(store).jsm.streams.deleteMessage(store.names.events, r2.seq);
    const forged = await jetstream(t.nc).publish(store.eventSubject(id), JSON.stringify(edited));
    const report = await verifyChains(store, { pipeline: id });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "hash", seq: forged.seq }));
  });

  it("detects a re-hashed forgery by its link", async () => {
    const store = await freshStore();
    const id = uid("forge");
    const [r1, r2] = await threeRecords(store, id);
    // the forger recomputes the hash, and even the prevHash of the record it replaces
    const { hash: _h, ...rest } = { ...r2.record!, outcome: "failed" as const };
    const edited = { ...rest, hash: recordHash(rest) };
    await natsHandles(store).jsm.streams.deleteMessage(store.names.events, r2.seq);
    const forged = await jetstream(t.nc).publish(store.eventSubject(id), JSON.stringify(edited));
    const report = await verifyChains(store, { pipeline: id });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "link", seq: forged.seq }));
    expect(r1.seq).toBeLessThan(r2.seq);
  });

  it("accepts a chain whose start was removed by retention, but not a gap after it", async () => {
    const store = await freshStore();
    const id = uid("ret");
    const other = uid("keep");
    const [, r2, r3] = await threeRecords(store, id);
    await appendEvent(store, fakeRecord(other, 7));
    const r4 = await appendEvent(store, fakeRecord(id, 4));
    // retention removes the oldest messages: purge everything before r2 (what max_age/max_bytes do)
    await natsHandles(store).jsm.streams.purge(store.names.events, { seq: r2.seq });
    let report = await verifyChains(store);
    expect(report.ok).toBe(true);
    expect(report.chains.find((c) => c.pipeline === id)).toMatchObject({
      startsAfterRetention: true,
      records: 3,
      firstSeq: r2.seq,
    });
    // a gap in the middle is still a gap
    await natsHandles(store).jsm.streams.deleteMessage(store.names.events, r3.seq);
    report = await verifyChains(store, { pipeline: id });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "link", seq: r4.seq }));
  });

  it("real size retention: the surviving chain verifies", async () => {
    const store = await freshStore({ eventsMaxBytes: 4096 });
    const id = uid("bytes");
    for (let i = 1; i <= 20; i++) await appendEvent(store, fakeRecord(id, i));
    const report = await verifyChains(store);
    expect(report.stream.firstSeq).toBeGreaterThan(1); // the oldest really were removed
    expect(report.ok).toBe(true);
    expect(report.chains[0]).toMatchObject({ pipeline: id, startsAfterRetention: true, lastSeq: 20 });
  });

  it("reports a missing chain start that retention cannot explain", async () => {
    const store = await freshStore();
    const id = uid("start");
    await appendEvent(store, fakeRecord(uid("first"), 1)); // keeps the stream's first sequence at 1
    const [r1, r2] = await threeRecords(store, id);
    await natsHandles(store).jsm.streams.deleteMessage(store.names.events, r1.seq);
    const report = await verifyChains(store, { pipeline: id });
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "missing-start", seq: r2.seq }));
  });
});

describe("eventsRetentionFromEnv", () => {
  it("parses durations and sizes", () => {
    expect(eventsRetentionFromEnv({ REEF_EVENTS_MAX_AGE: "7d", REEF_EVENTS_MAX_BYTES: "512MiB" })).toEqual({
      eventsMaxAgeMs: 7 * 86_400_000,
      eventsMaxBytes: 512 * 1024 * 1024,
    });
    expect(eventsRetentionFromEnv({ REEF_EVENTS_MAX_AGE: "1h30m" })).toEqual({ eventsMaxAgeMs: 5_400_000 });
    expect(eventsRetentionFromEnv({})).toEqual({});
    expect(() => eventsRetentionFromEnv({ REEF_EVENTS_MAX_AGE: "soon" })).toThrow(/not a duration/);
    expect(() => eventsRetentionFromEnv({ REEF_EVENTS_MAX_BYTES: "1 lot" })).toThrow(/not a size/);
  });

  it("applies to a stream Store.open creates", async () => {
    const store = await Store.open(t.nc, {
      names: uniqueNames().names,
      ...eventsRetentionFromEnv({ REEF_EVENTS_MAX_AGE: "2d", REEF_EVENTS_MAX_BYTES: "1MiB" }),
    });
    const info = await natsHandles(store).jsm.streams.info(store.names.events);
    expect(info.config.max_age).toBe(2 * 86_400_000 * 1_000_000);
    expect(info.config.max_bytes).toBe(1024 * 1024);
  });
});

describe("retentionNote", () => {
  it("says when the asked-for events were already removed by retention", async () => {
    const { retentionNote } = await import("../../lib/replay");
    const store = await freshStore();
    const id = uid("rn");
    const recs = [];
    for (let i = 1; i <= 4; i++) recs.push(await appendEvent(store, fakeRecord(id, i)));
    expect(await retentionNote(store, { fromSeq: 1 })).toBeNull();
    await natsHandles(store).jsm.streams.purge(store.names.events, { seq: recs[2].seq });
    expect(await retentionNote(store, { fromSeq: 1, toSeq: 10 })).toMatch(
      new RegExp(
        `events 1\\.\\.${recs[2].seq - 1} were already removed from ${store.names.events} \\(retention: max age 30d, max 1 GiB\\); the oldest left is ${recs[2].seq}`,
      ),
    );
    expect(await retentionNote(store, { since: new Date(0) })).toMatch(
      /events before .* were already removed/,
    );
    expect(await retentionNote(store, { fromSeq: recs[2].seq })).toBeNull();
  });
});
