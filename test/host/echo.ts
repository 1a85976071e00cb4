// Echo pipelines for host tests and the density bench: `nats in.<subject> → mapping → nats out.<subject>`.
import type { NatsConnection } from "@nats-io/transport-node";

/** `nats in.<tag> → mapping (prefix) → nats out.<tag>`. */
export function echoConfig(subject: string, prefix: string, extra = ""): string {
  return [
    "input:",
    "  nats:",
    '    urls: [ "${NATS_URL}" ]',
    `    subject: in.${subject}`,
    "pipeline:",
    "  processors:",
    `    - mapping: 'root = "${prefix}:" + content().string()'`,
    extra,
    "output:",
    "  nats:",
    '    urls: [ "${NATS_URL}" ]',
    `    subject: out.${subject}`,
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}

/** Sends `body` on in.<subject> until an answer arrives on out.<subject> (a stream may still be connecting). */
export async function roundtrip(nc: NatsConnection, subject: string, body: string, timeoutMs = 30_000) {
  const sub = nc.subscribe(`out.${subject}`, { max: 1 });
  const got = (async () => {
    for await (const m of sub) return m.string();
    return null;
  })();
  const deadline = Date.now() + timeoutMs;
  let answer: string | null | undefined;
  void got.then((a) => (answer = a));
  while (answer === undefined) {
    if (Date.now() > deadline) {
      sub.unsubscribe();
      throw new Error(`no answer on out.${subject} within ${timeoutMs} ms`);
    }
    nc.publish(`in.${subject}`, body);
    await nc.flush();
    await Promise.race([got, new Promise((r) => setTimeout(r, 250))]);
  }
  return answer;
}
