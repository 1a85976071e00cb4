// The record of every handled change, published to the events stream (subject
// `<eventsSubject>.<id>`): the raw material for `reef events` / `reef replay`.
import type { JetStreamClient } from "@nats-io/jetstream";
import type { ConvergeResult } from "../converge";
import type { ChangeEvent } from "../model";

export interface ChangeRecord {
  event: ChangeEvent;
  outcome: "ok" | "failed";
  /** The function's answer (outcome ok). */
  result?: ConvergeResult;
  /** Why the change failed after every attempt (outcome failed). */
  error?: { code: string; message: string };
  durationMs: number;
  handledAt: string;
  attempts: number;
}

/**
 * Publishes one record and waits for the stream's ack. The single place records are written, so
 * a hash chain (previous record's digest in each record) can be added here.
 */
export async function writeChangeRecord(
  js: JetStreamClient,
  subject: string,
  record: ChangeRecord,
): Promise<void> {
  await js.publish(subject, JSON.stringify(record), { timeout: 5_000 });
}
