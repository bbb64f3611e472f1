// The worker's Prometheus metrics (xmpp_amp_...).
import { createMetrics } from "@xmppd/observability";
import type { Metrics } from "@xmppd/observability";

type Registry = Metrics["registry"];

export interface AmpMetrics {
  offlineStored: ReturnType<Metrics["counter"]>;
  offlineDelivered: ReturnType<Metrics["counter"]>;
  /** Labelled by reason: quota, no-account, disabled, routing. */
  offlineBounced: ReturnType<Metrics["counter"]>;
  workProcessed: ReturnType<Metrics["counter"]>;
  workDuration: ReturnType<Metrics["histogram"]>;
  queuePending: ReturnType<Metrics["gauge"]>;
}

export function createAmpMetrics(): { registry: Registry; metrics: AmpMetrics } {
  const m = createMetrics("amp");
  const metrics: AmpMetrics = {
    offlineStored: m.counter("offline_stored_total", "Messages written to offline storage"),
    offlineDelivered: m.counter("offline_delivered_total", "Stored messages flushed to a resource that came online"),
    offlineBounced: m.counter("offline_bounced_total", "Undeliverable messages bounced to the sender", ["reason"]),
    workProcessed: m.counter("work_processed_total", "Work-queue messages processed, by kind and outcome", ["kind", "outcome"]),
    workDuration: m.histogram("work_duration_seconds", "Time to process one work-queue message", ["kind"]),
    queuePending: m.gauge("queue_pending", "Work-queue messages stored and not yet acknowledged"),
  };
  return { registry: m.registry, metrics };
}
