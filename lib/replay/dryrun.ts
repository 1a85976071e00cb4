// Dry run: what would converge do for this change? The definition as of the event's revision (KV
// history) and the config it names, resolved and planned by lib/converge itself, against the
// executions observed now and the executions recorded at the time. Nothing is written or started.
import { decideAsRecorded, decideScaling, plan, resolveDesired, type Desired } from "../converge";
import { describeAction, type Target } from "../executors";
import type { Execution } from "../model";
import type { DefinitionEntry, Store } from "../store";
import type { ReplayItem } from "./select";

export interface PlanView {
  /** The executions the plan was made against. */
  observed: { id: string; version: string; replica: number; state: string }[];
  target: Target;
  /** One line per action (same wording as converge results and events). */
  actions: string[];
}

export interface DryRunStep {
  seq: number | null;
  pipeline: string;
  revision: number;
  operation: string;
  /** The definition as of the revision; null when the KV history no longer holds it. */
  definition: {
    operation: DefinitionEntry["operation"];
    status?: string;
    version?: string;
    replicas?: number;
  } | null;
  /** What converge resolves the definition to; null when the revision is gone. */
  desired: Desired | null;
  /** Plan against the executions observed now; null when they could not be listed. */
  now: PlanView | null;
  /** Plan against the executions recorded before converge acted; null when nothing was recorded. */
  then: PlanView | null;
  /** What reef did at the time (from the record). */
  recorded: {
    /** `change` (handled by the bridge) or `reconcile`. */
    trigger: string;
    outcome: string;
    revision: number | null;
    actions: string[];
    phase: string | null;
    error: { code: string; message: string } | null;
  } | null;
  /**
   * With `autoscale` (published or paused): the replica count the scaler decides. For a SCALE
   * record, what was recorded and the decision made again from the record's inputs ("then");
   * for every record, the decision from today's status and heartbeats ("now").
   */
  scale?: {
    recorded: { from: number; to: number; reason: string } | null;
    then: { desired: number; reason: string } | null;
    now: { current: number; desired: number; reason: string } | null;
  };
  /** Things the operator must know: removed history, a newer revision acted on, a different plan. */
  notes: string[];
}

export interface DryRunDeps {
  store: Store;
  /** Lists a pipeline's executions now (the executor's `list`); may throw. */
  listNow: (pipeline: string) => Promise<Execution[]>;
  /** REEF_HEARTBEAT_INTERVAL (default 5 s): how fresh a heartbeat must be for the scaler. */
  heartbeatIntervalMs?: number;
  /** The clock of the "now" decision (default Date.now). */
  now?: () => number;
}

export async function dryRunStep(deps: DryRunDeps, item: ReplayItem): Promise<DryRunStep> {
  const { store } = deps;
  const { key: id, revision, operation } = item.event;
  const notes: string[] = [];
  const rec = item.recorded;
  const recorded: DryRunStep["recorded"] = rec
    ? {
        trigger: rec.trigger ?? "change",
        outcome: rec.outcome,
        revision: rec.result?.revision ?? null,
        actions: rec.result?.actions ?? [],
        phase: rec.result?.phase ?? null,
        error: rec.error ?? rec.result?.error ?? null,
      }
    : null;
  const step: DryRunStep = {
    seq: item.seq,
    pipeline: id,
    revision,
    operation,
    definition: null,
    desired: null,
    now: null,
    then: null,
    recorded,
    notes,
  };

  // revision 0: the key had no entry at all when the reconcile removed an orphan (as purged)
  const entry: DefinitionEntry | null =
    revision === 0
      ? { key: id, revision, operation: "PURGE", value: new Uint8Array(), created: item.time }
      : await store.getDefinitionAt(id, revision);
  if (!entry) {
    notes.push(await revisionGoneNote(store, id, revision));
    return step;
  }
  step.definition = describeEntry(entry);
  const resolved = await resolveDesired(store, id, entry);
  step.desired = resolved.desired;
  const configGone =
    resolved.desired.kind === "invalid" && resolved.desired.error.code === "CONFIG_NOT_FOUND";
  if (configGone) {
    const foundThen = rec?.result?.revision === revision && rec.result.desired === "published";
    notes.push(
      foundThen
        ? `the config ${id}/${step.definition.version} was removed after this event (converge found it at the time): replay cannot reproduce the step`
        : `the config ${id}/${step.definition.version} does not exist (it was missing or removed): converge resolves the definition as invalid`,
    );
  }

  // Autoscaled: the count comes from the scaler, then (a SCALE record's decision) and now.
  let desiredThen = resolved.desired;
  let desiredNow = resolved.desired;
  if (resolved.scale) {
    const request = resolved.scale;
    const recordedScale = rec?.scale ?? null;
    const then = recordedScale ? decideAsRecorded(request, recordedScale, deps.heartbeatIntervalMs) : null;
    const statusNow = store.getStatus(id).catch(() => null); // read once: the scaler and `current`
    const now = deps.now?.() ?? Date.now();
    const scaling = await decideScaling(deps, id, request, now, () => statusNow).catch(() => null);
    const current = (await statusNow)?.replicas?.desired ?? request.replicas;
    step.scale = {
      recorded: recordedScale
        ? { from: recordedScale.from, to: recordedScale.to, reason: recordedScale.reason }
        : null,
      then,
      now: scaling ? { current, desired: scaling.replicas.desired, reason: scaling.replicas.reason } : null,
    };
    if (recordedScale && then && then.desired !== recordedScale.to) {
      notes.push(
        `the decision made again from the record wants ${then.desired}, not the ${recordedScale.to} recorded: the scaler, the definition's autoscale block or the heartbeat interval changed since`,
      );
    }
    if (resolved.desired.kind === "published") {
      if (recordedScale) desiredThen = { ...resolved.desired, replicas: recordedScale.to };
      if (scaling) desiredNow = { ...resolved.desired, replicas: scaling.replicas.desired };
    }
  } else if (rec?.scale) {
    notes.push(
      `revision ${revision} has no autoscale block (any more): a SCALE record cannot be decided again`,
    );
  }

  try {
    step.now = planView(id, desiredNow, await deps.listNow(id));
  } catch (err) {
    notes.push(`could not list the executions now: ${(err as Error)?.message ?? String(err)}`);
  }
  if (rec?.result) {
    step.then = planView(id, desiredThen, rec.result.observed ?? []);
    if (rec.result.revision !== revision) {
      notes.push(
        `at the time, converge acted on revision ${rec.result.revision}, not ${revision} (level-triggered: it reads the current definition), so "then" is what revision ${revision} would have done`,
      );
    } else if (rec.result.desired !== resolved.desired.kind && !configGone) {
      const why = rec.result.error ? ` (${rec.result.error.code}: ${rec.result.error.message})` : "";
      notes.push(
        `at the time converge resolved this revision as ${rec.result.desired}${why}; now it resolves as ${resolved.desired.kind}: a config it names was added or removed since`,
      );
    } else if (notes.length === 0 && !sameActions(step.then.actions, rec.result.actions)) {
      notes.push(`the plan "then" differs from what was recorded: the planner or the config changed since`);
    }
  } else if (rec) {
    notes.push(
      `not handled at the time (${rec.error?.code ?? "failed"}): no executions were recorded to plan against`,
    );
  } else {
    notes.push("never recorded in the events stream (before recording started, or removed by retention)");
  }
  return step;
}

function planView(id: string, desired: Desired, observed: Execution[]): PlanView {
  const p = plan(id, desired, observed);
  return {
    observed: observed.map((e) => ({ id: e.id, version: e.version, replica: e.replica, state: e.state })),
    target: p.target,
    actions: p.actions.map(describeAction),
  };
}

function sameActions(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function describeEntry(entry: DefinitionEntry): NonNullable<DryRunStep["definition"]> {
  if (entry.operation !== "PUT") return { operation: entry.operation };
  try {
    const v = JSON.parse(new TextDecoder().decode(entry.value)) as Record<string, unknown>;
    return {
      operation: "PUT",
      status: typeof v.status === "string" ? v.status : undefined,
      version: typeof v.version === "string" ? v.version : undefined,
      replicas: typeof v.replicas === "number" ? v.replicas : undefined,
    };
  } catch {
    return { operation: "PUT" };
  }
}

async function revisionGoneNote(store: Store, id: string, revision: number): Promise<string> {
  const kept: number[] = [];
  for (const e of await store.definitionHistory(id)) kept.push(e.revision);
  const range = kept.length
    ? `the KV still holds revisions ${kept[0]}..${kept[kept.length - 1]} of ${id}`
    : `the KV holds nothing for ${id} any more`;
  return `revision ${revision} of ${id} was already removed from the KV history (purged, or older than the bucket's history depth): ${range}; cannot replay this step`;
}
