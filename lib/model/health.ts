// Telemetry shapes (CONTRACT.md §6): an execution's heartbeat (KV `pipeline-health`, key
// `<id>.<replica>`) and the health a pipeline's status carries, folded from its heartbeats.
import { z } from "zod";

export const HEARTBEAT_STATES = ["starting", "running", "draining", "failed"] as const;
export type HeartbeatState = (typeof HEARTBEAT_STATES)[number];

export const HEALTH_STATES = ["healthy", "degraded", "unresponsive", "unknown"] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

const counters = z.object({ received: z.number(), sent: z.number(), errors: z.number() });
export const lagSchema = z.object({ pending: z.number(), ackPending: z.number() });
export const lastErrorSchema = z.object({ message: z.string(), component: z.string(), at: z.string() });

export const heartbeatSchema = z
  .object({
    id: z.string(),
    replica: z.number().int().nonnegative(),
    execution: z.string(),
    version: z.string(),
    digest: z.string(),
    engine: z.string(),
    state: z.enum(HEARTBEAT_STATES),
    startedAt: z.string(),
    updatedAt: z.string(),
    counters,
    rates: counters,
    latencyMs: z.object({ p50: z.number(), p99: z.number() }),
    inFlight: z.number().nullable(),
    lag: lagSchema.nullable(),
    lastError: lastErrorSchema.nullable(),
    memoryBytes: z.number().nullable(),
  })
  .passthrough();

export type Heartbeat = z.infer<typeof heartbeatSchema>;
export type Counters = z.infer<typeof counters>;
export type Lag = z.infer<typeof lagSchema>;
export type LastError = z.infer<typeof lastErrorSchema>;

export const healthSchema = z.object({
  state: z.enum(HEALTH_STATES),
  /** Running executions whose heartbeat is current. */
  replicasReporting: z.number().int().nonnegative(),
  /** Summed over the reporting executions (per second, over their last interval). */
  rates: counters,
  /** The largest consumer lag reported (replicas share one durable consumer); null without one. */
  lag: lagSchema.nullable(),
  /** The most recent error any execution reported. */
  lastError: lastErrorSchema.extend({ replica: z.number().int().optional() }).nullable(),
  updatedAt: z.string(),
});

export type Health = z.infer<typeof healthSchema>;

/** The KV key of an execution's heartbeat. */
export function heartbeatKey(id: string, replica: number): string {
  return `${id}.${replica}`;
}
