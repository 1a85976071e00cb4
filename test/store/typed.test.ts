// The Store's typed methods (lib/store hides NATS): definitions with compare-and-set, history,
// configs, watches as async iterables, the durable changes subscription and subject helpers, on
// a real nats-server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChangeEvent, Log } from "../../lib/model";
import { RevisionConflictError, Store, subscribeChanges, type ChangeTicket } from "../../lib/store";
import { natsHandles } from "../../lib/store/internal";
import { openTestStore, statusOf, waitFor, type TestStore } from "../helpers/nats";

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(() => t.close());

const silent: Log = { info() {}, warn() {}, error() {} };

/** Collects what an iterable yields while `run` makes changes, until `done(got)` says enough. */
async function take<T>(
  iterable: (signal: AbortSignal) => AsyncIterable<T>,
  done: (got: T[]) => boolean,
  run: () => Promise<void>,
): Promise<T[]> {
  const ac = new AbortController();
  const got: T[] = [];
  const reading = (async () => {
    for await (const item of iterable(ac.signal)) {
      got.push(item);
      if (done(got)) break;
    }
  })();
  try {
    await run();
    await waitFor(() => done(got), "the changes");
  } finally {
    ac.abort();
    await reading;
  }
  return got;
}

describe("definitions", () => {
  it("writes with compare-and-set and throws RevisionConflictError on a lost one", async () => {
    const r1 = await t.store.putDefinition("cas", "{}", { ifRevision: 0 });
    // 0: only while the key has no value
    const created = await t.store.putDefinition("cas", "{}", { ifRevision: 0 }).catch((e: unknown) => e);
    expect(created).toBeInstanceOf(RevisionConflictError);
    expect(created).toMatchObject({ code: "REVISION_CONFLICT", key: "cas", expectedRevision: 0 });
    const r2 = await t.store.putDefinition("cas", '{"a":1}', { ifRevision: r1 });
    expect(r2).toBeGreaterThan(r1);
    // a writer that read r1 lost the race to the one that wrote r2
    const lost = await t.store.putDefinition("cas", '{"a":2}', { ifRevision: r1 }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(RevisionConflictError);
    expect((lost as RevisionConflictError).expectedRevision).toBe(r1);
    expect(new TextDecoder().decode((await t.store.getDefinitionEntry("cas"))!.value)).toBe('{"a":1}');
  });

  it("deletes with compare-and-set, and 0 recreates a deleted key", async () => {
    const r1 = await t.store.putDefinition("del", "{}");
    await t.store.putDefinition("del", '{"b":1}');
    await expect(t.store.deleteDefinition("del", { ifRevision: r1 })).rejects.toBeInstanceOf(
      RevisionConflictError,
    );
    expect((await t.store.getDefinitionEntry("del"))?.operation).toBe("PUT");
    const current = (await t.store.getDefinitionEntry("del"))!.revision;
    await t.store.deleteDefinition("del", { ifRevision: current });
    expect((await t.store.getDefinitionEntry("del"))?.operation).toBe("DEL");
    expect(await t.store.putDefinition("del", "{}", { ifRevision: 0 })).toBeGreaterThan(current);
  });

  it("lists a key's history oldest first, delete markers included, and purges it", async () => {
    const a = await t.store.putDefinition("hist", '{"v":1}');
    const b = await t.store.putDefinition("hist", '{"v":2}');
    await t.store.putDefinition("other", "{}");
    await t.store.deleteDefinition("hist");
    const history = await t.store.definitionHistory("hist");
    expect(history.map((e) => [e.revision, e.operation])).toEqual([
      [a, "PUT"],
      [b, "PUT"],
      [history[2].revision, "DEL"],
    ]);
    await t.store.purgeDefinition("hist");
    // only the purge marker is left
    expect((await t.store.getDefinitionEntry("hist"))?.operation).toBe("PURGE");
    expect((await t.store.definitionHistory("hist")).map((e) => e.operation)).toEqual(["PURGE"]);
  });

  it("watches definitions: the current entries first, then each change", async () => {
    await t.store.putDefinition("w1", "{}");
    const got = await take(
      (s) => t.store.watchDefinitions(s),
      (got) => got.some((e) => e.key === "w1" && e.operation === "DEL"),
      async () => {
        await t.store.putDefinition("w2", '{"x":1}');
        await t.store.deleteDefinition("w1");
      },
    );
    // the current entries first (w1 among them), then the two changes in order
    expect(got.findIndex((e) => e.key === "w1")).toBeLessThan(got.findIndex((e) => e.key === "w2"));
    const tail = got.slice(-2).map((e) => [e.key, e.operation]);
    expect(tail).toEqual([
      ["w2", "PUT"],
      ["w1", "DEL"],
    ]);
  });
});

describe("configs", () => {
  it("lists versions with their sha256 and size, deletes one, and watches new ones", async () => {
    const bytes = new TextEncoder().encode("input:\n  generate: {}\n");
    const { digest } = await t.store.putConfig("cfg", "1", bytes);
    await t.store.putConfig("cfg", "2", new TextEncoder().encode("x: 1\n"));
    const listed = await t.store.listConfigs("cfg");
    expect(listed.map((c) => c.version).sort()).toEqual(["1", "2"]);
    expect(listed.find((c) => c.version === "1")).toMatchObject({ digest, size: bytes.length });
    await t.store.deleteConfig("cfg", "2");
    expect((await t.store.listConfigs("cfg")).map((c) => c.version)).toEqual(["1"]);

    const got = await take(
      (s) => t.store.watchConfigs(s),
      (got) => got.length >= 1,
      async () => {
        await t.store.putConfig("cfg", "3", new TextEncoder().encode("y: 2\n"));
      },
    );
    expect(got).toEqual([{ id: "cfg", version: "3" }]); // history not replayed: only the new one
  });
});

describe("listings", () => {
  it("list definitions (markers skipped) and statuses without leaving a consumer on the server", async () => {
    for (const id of ["l-a", "l-b", "l-c"])
      await t.store.putDefinition(id, JSON.stringify({ id, status: "draft" }));
    await t.store.deleteDefinition("l-b");
    await t.store.purgeDefinition("l-c");
    const { jsm } = natsHandles(t.store);
    const consumers = async () =>
      (await jsm.streams.info(`KV_${t.names.pipelines}`)).state.consumer_count +
      (await jsm.streams.info(`KV_${t.names.status}`)).state.consumer_count;
    const before = await consumers();
    for (let i = 0; i < 5; i++) {
      const keys = await t.store.listDefinitionKeys();
      expect(keys).toContain("l-a");
      expect(keys).not.toContain("l-b");
      expect(keys).not.toContain("l-c");
      await t.store.listStatuses();
    }
    expect(await consumers()).toBe(before);
  });
});

describe("config reads", () => {
  it("serve a config read before until its object changes: deleted reads null, rewritten reads the new content", async () => {
    const other = await Store.open(t.nc, { names: t.names }); // another control plane's view
    const text = (c: { bytes: Uint8Array } | null) => (c ? new TextDecoder().decode(c.bytes) : null);
    await other.putConfig("cached", "1", new TextEncoder().encode("a: 1\n"));
    expect(text(await t.store.getConfig("cached", "1"))).toBe("a: 1\n");
    expect(text(await t.store.getConfig("cached", "1"))).toBe("a: 1\n"); // (from what was read)
    await other.deleteConfig("cached", "1");
    expect(await t.store.getConfig("cached", "1")).toBeNull();
    await other.putConfig("cached", "1", new TextEncoder().encode("b: 2\n"));
    const read = await t.store.getConfig("cached", "1");
    expect(text(read)).toBe("b: 2\n");
    expect(read?.digest).toBe((await other.getConfig("cached", "1"))?.digest);
  });
});

describe("status", () => {
  it("watches one pipeline's status: current value, changes, null on delete", async () => {
    const status = (revision: number) => statusOf("st", revision);
    await t.store.writeStatus(status(1));
    const got = await take(
      (s) => t.store.watchStatus("st", s),
      (got) => got.length >= 3,
      async () => {
        await t.store.writeStatus(status(2));
        await t.store.deleteStatus("st");
      },
    );
    expect(got.map((s) => s?.revision ?? null)).toEqual([1, 2, null]);
  });
});

describe("changes subscription", () => {
  it("delivers each definition change as a change event; unacked ones come again", async () => {
    const ac = new AbortController();
    const events: ChangeEvent[] = [];
    const attached: boolean[] = [];
    let nakFirst = true;
    const running = subscribeChanges(t.store, {
      durable: "typed-test",
      ackWaitMs: 30_000,
      maxAckPending: 16,
      log: silent,
      signal: ac.signal,
      onAttached: (created) => attached.push(created),
      onChange: (event: ChangeEvent, ticket: ChangeTicket) => {
        events.push(event);
        if (event.key === "ch1" && nakFirst) {
          nakFirst = false;
          ticket.nak();
        } else ticket.ack();
      },
    });
    await waitFor(() => attached.length > 0, "the consumer attached");
    expect(attached).toEqual([true]); // it did not exist: created, starting from now
    const r1 = await t.store.putDefinition("ch1", "{}");
    await t.store.deleteDefinition("ch1");
    await waitFor(() => events.filter((e) => e.key === "ch1").length >= 3, "three deliveries");
    ac.abort();
    await running;
    const ch1 = events.filter((e) => e.key === "ch1").map((e) => `${e.operation} ${e.revision}`);
    // the nak'ed PUT came again (before or after the DEL: redelivery has its own order)
    expect(ch1.filter((e) => e === `PUT ${r1}`)).toHaveLength(2);
    expect(ch1.filter((e) => e.startsWith("DEL "))).toHaveLength(1);
  });
});

describe("subjects", () => {
  it("subscribes in a queue group, answers a reply subject, and times out a reply never sent", async () => {
    const sub = t.store.subscribe("typed.req", { queue: "q" }, (msg) => {
      if (msg.reply) msg.respond(`got ${new TextDecoder().decode(msg.data)}`);
    });
    const reply = await t.store.replySubject(5_000);
    const data = new TextEncoder().encode("hello");
    // a requester sends with its reply subject: here the store publishes, the answer lands there
    t.nc.publish("typed.req", data, { reply: reply.subject });
    expect(new TextDecoder().decode((await reply.wait())!)).toBe("got hello");
    sub.unsubscribe();

    const never = await t.store.replySubject(200);
    expect(await never.wait()).toBeNull();

    const published = await t.store.replySubject(5_000);
    t.store.publish(published.subject, "done");
    await t.store.flush();
    expect(new TextDecoder().decode((await published.wait())!)).toBe("done");
  });
});

describe("host buckets", () => {
  it("writes placements with compare-and-set, lists keys without consumers, and resumes a watch", async () => {
    const { placements, hosts } = await t.store.hostBuckets(5_000);
    const r1 = await placements.put("p.0", '{"v":1}', { ifRevision: 0 });
    await expect(placements.put("p.0", '{"v":2}', { ifRevision: 0 })).rejects.toBeInstanceOf(
      RevisionConflictError,
    );
    const r2 = await placements.put("p.0", '{"v":2}', { ifRevision: r1 });
    await expect(placements.delete("p.0", { ifRevision: r1 })).rejects.toBeInstanceOf(RevisionConflictError);
    await placements.put("p.1", "{}");
    await placements.put("q.0", "{}");
    expect((await placements.keys("p.*")).sort()).toEqual(["p.0", "p.1"]);
    expect(new TextDecoder().decode((await placements.get("p.0"))!.value)).toBe('{"v":2}');
    await hosts.put("h1", "{}");
    expect(await hosts.keys()).toEqual(["h1"]);

    // from a revision on: what came before it is not replayed
    const got = await take(
      (signal) => placements.watch({ fromRevision: r2 + 1, signal }),
      (got) => got.length >= 3,
      async () => {
        await placements.delete("p.0");
      },
    );
    expect(got.map((e) => [e.key, e.operation])).toEqual([
      ["p.1", "PUT"],
      ["q.0", "PUT"],
      ["p.0", "DEL"],
    ]);
  });
});

describe("events stream", () => {
  it("says what the events stream holds and its retention limits", async () => {
    const r = await t.store.eventsRetention();
    expect(r).toMatchObject({ messages: 0, maxAgeMs: 30 * 24 * 3600_000, maxBytes: 1024 ** 3 });
  });
});

describe("connection", () => {
  it("connects, owns its connection and closes it", async () => {
    const store = await Store.connect({ name: "reef-typed-test", names: t.names });
    expect(store.isClosed()).toBe(false);
    const changes = store.connectionChanges()[Symbol.asyncIterator]();
    const ended = changes.next(); // no disconnect while open: ends when the connection closes
    expect(await store.getDefinitionEntry("never")).toBeNull();
    await store.drain();
    expect(store.isClosed()).toBe(true);
    expect((await ended).done).toBe(true);
  });
});
