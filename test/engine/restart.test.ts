import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { freePort, startNatsServer } from "../../lib/local/nats-server";
import { readLines, start, tempDir, waitFor } from "./helpers";

describe("NATS server restart", () => {
  it("nats_kv and nats_jetstream inputs keep delivering after the server restarts", async () => {
    const port = await freePort();
    const storeDir = tempDir("reef-engine-restart-");
    let server = await startNatsServer({ storeDir, port });
    const url = server.url;
    const out = join(tempDir(), "out.txt");
    try {
      const nc = await connect({ servers: url });
      const kv = await new Kvm(nc).create("restart");
      await kv.put("k1", new TextEncoder().encode("before"));
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "RS", subjects: ["rs.>"] });
      await jetstream(nc).publish("rs.a", new TextEncoder().encode("js-before"));

      const s = await start(`
input:
  broker:
    inputs:
      - nats_kv:
          urls: [ ${url} ]
          bucket: restart
      - nats_jetstream:
          urls: [ ${url} ]
          subject: rs.>
          durable: restart
output:
  file:
    path: ${out}
`);
      await waitFor(
        () => readLines(out).includes("before") && readLines(out).includes("js-before"),
        "before the restart",
      );
      // Written is not yet acked: a restart before the ack reaches the server redelivers (at least
      // once), so wait for the ack before restarting.
      await waitFor(
        async () => (await jsm.consumers.info("RS", "restart")).num_ack_pending === 0,
        "the ack of js-before",
      );
      await nc.close();

      await server.stop();
      server = await startNatsServer({ storeDir, port });

      const nc2 = await connect({ servers: url });
      const kv2 = await new Kvm(nc2).open("restart");
      await kv2.put("k2", new TextEncoder().encode("after"));
      await jetstream(nc2).publish("rs.b", new TextEncoder().encode("js-after"));
      await waitFor(
        () => readLines(out).includes("after") && readLines(out).includes("js-after"),
        "values after the restart",
        20_000,
      );
      await nc2.close();
      await s.stop(2000);
      // Nothing is delivered twice.
      expect(readLines(out).filter((l) => l === "before")).toHaveLength(1);
      expect(readLines(out).filter((l) => l === "js-before")).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});
