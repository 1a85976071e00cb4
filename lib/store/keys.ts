// The keys of a KV bucket from its stream's subject list: one JetStream API request and no consumer.
// (kv.keys() creates an ordered push consumer per call, which the server keeps for minutes when the
// listing is empty or ends early: thousands of converges leave thousands of consumers behind and
// slow the server down, and under load such a listing can wait for deliveries that never come.)
import type { JetStreamManager } from "@nats-io/jetstream";

/**
 * The keys of KV bucket `bucket` under `filter` (a KV key pattern: `>`, `<id>.*`) that hold a
 * message: values and delete/purge markers alike (read each and skip those that are not a PUT).
 */
export async function listKvKeys(jsm: JetStreamManager, bucket: string, filter = ">"): Promise<string[]> {
  const prefix = `$KV.${bucket}.`;
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}${filter}` });
  return Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length));
}
