// Subject triggers of job pipelines (CONTRACT.md §8): the bridge subscribes to `trigger.subject`
// of every published job, in a queue group per job, so that with several bridges each message
// starts exactly one run. A message invokes the `trigger` function with its payload (the run's
// stdin) and reply subject (which gets the run's result when it ends).
import { definitionSchema, jobSettingsOf, sleep, toStatusError, type Log, type TriggerEvent } from "../model";
import type { Store, SubjectMessage } from "../store";

export interface JobTriggerOptions {
  store: Store;
  log: Log;
  signal: AbortSignal;
  /** Starts the run (the invoker's `trigger`). */
  trigger(event: TriggerEvent): Promise<unknown>;
}

/** The queue group of one job's subscriptions: every bridge of this reef shares it. */
export function triggerQueue(store: Store, id: string): string {
  return `reef.trigger.${store.names.pipelines}.${id}`;
}

/** The subject a definition's value asks to be triggered by; null unless a published job has one. */
export function triggerSubjectOf(value: Uint8Array): string | null {
  try {
    const parsed = definitionSchema.safeParse(JSON.parse(new TextDecoder().decode(value)));
    if (!parsed.success || parsed.data.status !== "published") return null;
    return jobSettingsOf(parsed.data)?.trigger.subject ?? null;
  } catch {
    return null;
  }
}

/** Keeps one subscription per published job with a subject until `signal` aborts. */
export async function watchJobTriggers(opts: JobTriggerOptions): Promise<void> {
  const { store, log, signal } = opts;
  const subs = new Map<string, { subject: string; sub: { unsubscribe(): void } }>();
  const unsubscribe = (id: string) => {
    subs.get(id)?.sub.unsubscribe();
    subs.delete(id);
  };
  const set = (id: string, subject: string | null) => {
    const current = subs.get(id);
    if (current?.subject === subject) return;
    unsubscribe(id);
    if (!subject) return;
    const sub = store.subscribe(
      subject,
      { queue: triggerQueue(store, id) },
      (msg) => void fire(opts, id, msg),
    );
    subs.set(id, { subject, sub });
    log.info("job trigger subscribed", { pipeline: id, subject });
  };
  try {
    for (let delay = 250; !signal.aborted; delay = Math.min(delay * 2, 10_000)) {
      try {
        for await (const e of store.watchDefinitions(signal)) {
          delay = 250;
          set(e.key, e.operation === "PUT" ? triggerSubjectOf(e.value) : null);
        }
      } catch (err) {
        if (!signal.aborted) log.warn("job trigger watch failed; retrying", { error: String(err) });
      }
      await sleep(delay, signal);
    }
  } finally {
    for (const id of [...subs.keys()]) unsubscribe(id);
  }
}

async function fire(opts: JobTriggerOptions, id: string, msg: SubjectMessage): Promise<void> {
  try {
    await opts.trigger({
      id,
      trigger: "subject",
      ...(msg.data.length ? { payload: Buffer.from(msg.data).toString("base64") } : {}),
      ...(msg.reply ? { replyTo: msg.reply } : {}),
    });
  } catch (err) {
    const error = toStatusError(err, "INVOKE_FAILED");
    opts.log.error("job trigger failed", { pipeline: id, error });
    // The requester learns at once that no run started.
    if (msg.reply) msg.respond(JSON.stringify({ run: null, state: "failed", exitCode: null, error }));
  }
}
