// "Live · updated 2s ago", or why the last refresh failed (the page keeps showing the last data).
import type { Polled } from "./hooks";
import { useNow } from "./hooks";

export function LiveStatus({ polled }: { polled: Polled<unknown> }) {
  const now = useNow();
  const age =
    polled.updatedAt === undefined ? undefined : Math.max(0, Math.round((now - polled.updatedAt) / 1000));
  if (polled.error) {
    return (
      <p class="live live-bad" role="status">
        <span class="dot" aria-hidden="true" /> not updating: {polled.error.message} — retrying
        {age !== undefined && ` (data from ${age}s ago)`}
      </p>
    );
  }
  return (
    <p class="live" role="status" aria-live="off">
      <span class="dot" aria-hidden="true" /> live{age !== undefined && ` · updated ${age}s ago`}
    </p>
  );
}
