// The dispatcher alone: per-key serialisation, coalescing, bounded concurrency, ack/nak, stop.
import { describe, expect, it } from "vitest";
import { Dispatcher, keepNewestChange, type Ticket, type Work } from "../../lib/bridge/internal";

class FakeTicket implements Ticket {
  acked = 0;
  naked = 0;
  touched = 0;
  ack() {
    this.acked++;
  }
  nak() {
    this.naked++;
  }
  working() {
    this.touched++;
  }
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("Dispatcher", () => {
  it("coalesces changes queued behind an in-flight key into one call with the newest event", async () => {
    const calls: [string, number][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const d = new Dispatcher<number>({
      concurrency: 4,
      keepAliveMs: 60_000,
      handle: (key, e) => {
        calls.push([key, e]);
        const g = deferred();
        gates.push(g);
        return g.promise;
      },
    });
    const t = Array.from({ length: 4 }, () => new FakeTicket());
    d.add("a", 1, t[0]);
    d.add("a", 2, t[1]);
    d.add("a", 3, t[2]);
    d.add("a", 4, t[3]);
    await tick();
    expect(calls).toEqual([["a", 1]]);
    gates[0].resolve();
    await tick();
    expect(t[0].acked).toBe(1);
    expect(t.slice(1).map((x) => x.acked)).toEqual([0, 0, 0]); // not before a converge that started after them
    expect(calls).toEqual([
      ["a", 1],
      ["a", 4],
    ]);
    gates[1].resolve();
    await d.idle();
    expect(t.map((x) => x.acked)).toEqual([1, 1, 1, 1]);
  });

  it("runs at most `concurrency` keys at once, in arrival order", async () => {
    let running = 0;
    let max = 0;
    const order: string[] = [];
    const d = new Dispatcher<number>({
      concurrency: 2,
      keepAliveMs: 60_000,
      handle: async (key) => {
        order.push(key);
        running++;
        max = Math.max(max, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      },
    });
    for (const k of ["a", "b", "c", "d", "e"]) d.add(k, 0, new FakeTicket());
    await d.idle();
    expect(max).toBe(2);
    expect(order).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("naks the messages of a change whose handling threw, and goes on", async () => {
    const errors: string[] = [];
    const d = new Dispatcher<number>({
      concurrency: 1,
      keepAliveMs: 60_000,
      handle: async (key) => {
        if (key === "bad") throw new Error("cannot record");
      },
      onError: (key) => errors.push(key),
    });
    const bad = new FakeTicket();
    const good = new FakeTicket();
    d.add("bad", 0, bad);
    d.add("good", 0, good);
    await d.idle();
    expect([bad.acked, bad.naked, good.acked]).toEqual([0, 1, 1]);
    expect(errors).toEqual(["bad"]);
  });

  it("keeps held messages alive while they wait", async () => {
    const g = deferred();
    const d = new Dispatcher<number>({ concurrency: 1, keepAliveMs: 10, handle: () => g.promise });
    const inFlight = new FakeTicket();
    const queued = new FakeTicket();
    d.add("a", 1, inFlight);
    d.add("a", 2, queued);
    await new Promise((r) => setTimeout(r, 60));
    expect(inFlight.touched).toBeGreaterThan(1);
    expect(queued.touched).toBeGreaterThan(1);
    g.resolve();
    await d.stop(1_000);
  });

  it("stop: starts nothing new, waits for in-flight (bounded), hands queued messages back", async () => {
    const g = deferred();
    let calls = 0;
    const d = new Dispatcher<number>({
      concurrency: 1,
      keepAliveMs: 60_000,
      handle: () => {
        calls++;
        return g.promise;
      },
    });
    const a = new FakeTicket();
    const b = new FakeTicket();
    d.add("a", 1, a);
    d.add("b", 1, b);
    const stopped = d.stop(5_000);
    g.resolve();
    expect(await stopped).toBe(true);
    expect(calls).toBe(1);
    expect([a.acked, b.acked, b.naked]).toEqual([1, 0, 1]);
    const late = new FakeTicket();
    d.add("c", 1, late);
    expect(late.naked).toBe(1);

    const never = new Dispatcher<number>({
      concurrency: 1,
      keepAliveMs: 60_000,
      handle: () => new Promise(() => {}),
    });
    never.add("x", 1, new FakeTicket());
    expect(await never.stop(50)).toBe(false);
  });
});

describe("the bridge's coalescing of queued work (what is recorded for the messages it acks)", () => {
  const change = (revision: number): Work => ({
    event: { key: "p", operation: "PUT", revision, timestamp: "2030-01-01T00:00:00.000Z" },
  });
  const lookAgain = (revision: number): Work => ({ ...change(revision), requeue: true });

  it("keeps a waiting change over a health-triggered converge at the older revision the status shows", async () => {
    // A change (revision 74) waits behind an in-flight converge; the health monitor then asks for a
    // converge at revision 60. Both are handled by one call, whose record must name revision 74.
    const handled: Work[] = [];
    const first = deferred();
    const d = new Dispatcher<Work>({
      concurrency: 1,
      keepAliveMs: 60_000,
      coalesce: keepNewestChange,
      handle: async (_k, w) => {
        handled.push(w);
        if (handled.length === 1) await first.promise;
      },
    });
    d.add("p", change(50), new FakeTicket());
    await tick();
    d.add("p", change(74), new FakeTicket());
    d.add("p", change(60), new FakeTicket());
    first.resolve();
    await d.idle();
    expect(handled.map((w) => w.event.revision)).toEqual([50, 74]);
  });

  it("never lets a look again replace a change, and a change replaces a look again", () => {
    expect(keepNewestChange(change(5), lookAgain(9))).toEqual(change(5));
    expect(keepNewestChange(lookAgain(9), change(5))).toEqual(change(5));
    expect(keepNewestChange(change(5), change(9))).toEqual(change(9));
  });
});
