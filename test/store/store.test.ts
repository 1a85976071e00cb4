import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kvm } from "@nats-io/kv";
import { LeaseBusyError, Store } from "../../lib/store";
import { openTestStore, statusOf, uniqueNames, type TestStore } from "../helpers/nats";
import type { PipelineStatus } from "../../lib/model";

let t: TestStore;
beforeAll(async () => {
  t = await openTestStore();
});
afterAll(() => t.close());

const status = (revision: number, phase: PipelineStatus["phase"] = "running") =>
  statusOf("p1", revision, phase);

describe("Store", () => {
  it("opens existing buckets without recreating them", async () => {
    await t.store.putDefinition("a", "{}");
    const again = await Store.open(t.nc, { names: t.names });
    expect((await again.getDefinitionEntry("a"))?.operation).toBe("PUT");
  });

  it("reports deletes as entries without a value", async () => {
    await t.store.putDefinition("gone", "{}");
    await t.store.deleteDefinition("gone");
    const e = await t.store.getDefinitionEntry("gone");
    expect(e?.operation).toBe("DEL");
    expect(await t.store.getDefinitionEntry("never")).toBeNull();
  });

  it("stores configs immutably with their sha256", async () => {
    const bytes = new TextEncoder().encode("input:\n  stdin: {}\n");
    const put = await t.store.putConfig("p1", "1", bytes);
    expect(put.digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await t.store.getConfig("p1", "1"))?.digest).toBe(put.digest);
    await expect(t.store.putConfig("p1", "1", new TextEncoder().encode("other"))).rejects.toThrow(
      /immutable/,
    );
    await t.store.putConfig("p1", "1", bytes); // same content: fine
    expect(await t.store.listConfigVersions("p1")).toEqual(["1"]);
    expect(await t.store.getConfig("p1", "2")).toBeNull();
  });

  it("never lets a status revision go backwards", async () => {
    expect(await t.store.writeStatus(status(5))).toBe(true);
    expect(await t.store.writeStatus(status(3, "stopped"))).toBe(false);
    expect((await t.store.getStatus("p1"))?.phase).toBe("running");
    expect(await t.store.writeStatus(status(5, "pending"))).toBe(true);
    expect((await t.store.getStatus("p1"))?.phase).toBe("pending");
  });

  it("serialises holders of one pipeline's lease", async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        t.store.withLease("p1", async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 20));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });

  it("keeps a lease while its holder runs past the TTL, and frees a crashed holder's after it", async () => {
    const { names } = uniqueNames();
    const store = await Store.open(t.nc, { names, leaseTtlMs: 1_000 });
    // a converge longer than the TTL: renewed, nobody else gets in meanwhile
    let released!: () => void;
    const holding = store.withLease("long", () => new Promise<void>((r) => (released = r)));
    await new Promise((r) => setTimeout(r, 2_500));
    await expect(store.withLease("long", async () => "in", 500)).rejects.toBeInstanceOf(LeaseBusyError);
    released();
    await holding;
    expect(await store.withLease("long", async () => "in")).toBe("in");
    // a holder that crashed (it never renews nor releases): free once the TTL passed
    await (await new Kvm(t.nc).open(names.leases)).create("crashed", "a dead converge");
    const started = Date.now();
    expect(await store.withLease("crashed", async () => "in", 10_000)).toBe("in");
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
