// GET /metrics: every execution's counters and gauges from its current heartbeat, as Prometheus
// text (prom-client), labelled pipeline, replica and version: one scrape covers the whole fleet.
import { Counter, Gauge, Registry } from "prom-client";
import type { HealthState } from "../model";
import { HEALTH_STATES } from "../model";
import type { HeartbeatEntry } from "../store";

export async function prometheusExposition(
  heartbeats: HeartbeatEntry[],
  health: Map<string, HealthState>,
  now = Date.now(),
): Promise<{ contentType: string; text: string }> {
  // A registry per scrape: counters are set from the heartbeats, never accumulated here.
  const registry = new Registry();
  const labelNames = ["pipeline", "replica", "version"] as const;
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, extra: string[] = []) =>
    new Gauge({ name, help, labelNames: [...labelNames, ...extra], registers: [registry] });
  const received = counter("reef_messages_received_total", "Messages the execution's input received");
  const sent = counter("reef_messages_sent_total", "Messages the execution's output sent");
  const errors = counter("reef_message_errors_total", "Messages failed by a processor or the output");
  const inFlight = gauge("reef_messages_in_flight", "Messages read and not yet acknowledged");
  const latency = gauge("reef_output_latency_seconds", "Output write latency", ["quantile"]);
  const pending = gauge("reef_consumer_pending", "JetStream consumer: messages not yet delivered");
  const ackPending = gauge("reef_consumer_ack_pending", "JetStream consumer: delivered, not yet acked");
  const memory = gauge("reef_memory_bytes", "Resident memory of the execution");
  const age = gauge("reef_heartbeat_age_seconds", "Seconds since the execution's last heartbeat");
  const pipelineHealth = new Gauge({
    name: "reef_pipeline_health",
    help: "1 for the pipeline's current health state (healthy, degraded, unresponsive, unknown)",
    labelNames: ["pipeline", "state"],
    registers: [registry],
  });
  for (const { heartbeat: h, receivedAt } of heartbeats) {
    const l = { pipeline: h.id, replica: String(h.replica), version: h.version };
    received.inc(l, h.counters.received);
    sent.inc(l, h.counters.sent);
    errors.inc(l, h.counters.errors);
    if (h.inFlight !== null) inFlight.set(l, h.inFlight);
    latency.set({ ...l, quantile: "0.5" }, h.latencyMs.p50 / 1000);
    latency.set({ ...l, quantile: "0.99" }, h.latencyMs.p99 / 1000);
    if (h.lag) {
      pending.set(l, h.lag.pending);
      ackPending.set(l, h.lag.ackPending);
    }
    if (h.memoryBytes !== null) memory.set(l, h.memoryBytes);
    age.set(l, Math.max(0, (now - receivedAt) / 1000));
  }
  for (const [pipeline, state] of health)
    for (const s of HEALTH_STATES) pipelineHealth.set({ pipeline, state: s }, s === state ? 1 : 0);
  return { contentType: registry.contentType, text: await registry.metrics() };
}
