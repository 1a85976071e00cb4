// State badges: colour plus the word itself (never colour alone).
const PHASE_TONE: Record<string, string> = {
  running: "ok",
  idle: "ok",
  pending: "warn",
  stopped: "muted",
  absent: "muted",
  failed: "bad",
};
const HEALTH_TONE: Record<string, string> = {
  healthy: "ok",
  degraded: "warn",
  unresponsive: "bad",
  unknown: "muted",
};
const STATUS_TONE: Record<string, string> = { published: "ok", paused: "muted", draft: "muted" };

function Badge({ tone, text, title }: { tone: string; text: string; title?: string }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {text}
    </span>
  );
}

export function PhaseBadge({ phase }: { phase: string | undefined | null }) {
  if (!phase)
    return <Badge tone="muted" text="not converged" title="the control plane has not reported yet" />;
  return <Badge tone={PHASE_TONE[phase] ?? "muted"} text={phase} />;
}

export function HealthBadge({ state }: { state: string | undefined | null }) {
  if (!state)
    return (
      <span class="none" title="no telemetry reported">
        —
      </span>
    );
  return <Badge tone={HEALTH_TONE[state] ?? "muted"} text={state} />;
}

export function StatusBadge({ status }: { status: string | undefined | null }) {
  if (!status) return <Badge tone="bad" text="invalid" title="the stored definition is not valid" />;
  return <Badge tone={STATUS_TONE[status] ?? "muted"} text={status} />;
}

const EXECUTION_TONE: Record<string, string> = {
  running: "ok",
  starting: "warn",
  pending: "warn",
  draining: "muted",
  stopped: "muted",
  exited: "muted",
  failed: "bad",
  // a job's runs
  succeeded: "ok",
  skipped: "muted",
};

/** An execution's state (executor), a replica's heartbeat state (telemetry) or a job run's state. */
export function StateBadge({ state }: { state: string | undefined | null }) {
  if (!state) return <span class="none">—</span>;
  return <Badge tone={EXECUTION_TONE[state] ?? "muted"} text={state} />;
}
