// The worker's Prometheus metrics (xmpp_amp_...).
import { createMetrics } from "@xmppd/observability";
import type { Metrics } from "@xmppd/observability";

type Registry = Metrics["registry"];

export interface AmpMetrics {
  offlineStored: ReturnType<Metrics["counter"]>;
  offlineDelivered: ReturnType<Metrics["counter"]>;
  /** Labelled by reason: quota, no-account, disabled, routing. */
  offlineBounced: ReturnType<Metrics["counter"]>;
  /** Where each message's journey ended here: stored, bounced, dropped (docs/bounds.md). */
  stanzaOutcomes: ReturnType<Metrics["counter"]>;
  workProcessed: ReturnType<Metrics["counter"]>;
  workDuration: ReturnType<Metrics["histogram"]>;
  queuePending: ReturnType<Metrics["gauge"]>;
  /** XEP-0079 rules by condition, value, action and outcome (fired, refused). */
  ampRules: ReturnType<Metrics["counter"]>;
  /** XEP-0079 events sent to senders, by event (alert, error, notify). */
  ampEvents: ReturnType<Metrics["counter"]>;
  /** How late expire-at rules were handled after their time (DP-21). */
  expiryLag: ReturnType<Metrics["histogram"]>;
  /** Stored messages with a pending expire-at. */
  timersPending: ReturnType<Metrics["gauge"]>;
}

export function createAmpMetrics(): { registry: Registry; metrics: AmpMetrics } {
  const m = createMetrics("amp");
  const metrics: AmpMetrics = {
    offlineStored: m.counter("offline_stored_total", "Messages written to offline storage"),
    offlineDelivered: m.counter("offline_delivered_total", "Stored messages flushed to a resource that came online"),
    offlineBounced: m.counter("offline_bounced_total", "Undeliverable messages bounced to the sender", ["reason"]),
    stanzaOutcomes: m.counter("stanza_outcomes_total", "Messages stored offline, bounced to their sender or dropped by rule, by reason", ["outcome", "reason"]),
    workProcessed: m.counter("work_processed_total", "Work-queue messages processed, by kind and outcome", ["kind", "outcome"]),
    workDuration: m.histogram("work_duration_seconds", "Time to process one work-queue message", ["kind"]),
    queuePending: m.gauge("queue_pending", "Work-queue messages stored and not yet acknowledged"),
    ampRules: m.counter("rules_total", "XEP-0079 rules by condition, value, action and outcome", ["condition", "value", "action", "outcome"]),
    ampEvents: m.counter("events_total", "XEP-0079 events (alert, error, notify) sent to senders", ["event"]),
    expiryLag: m.histogram("expiry_lag_seconds", "Delay between an expire-at value and its handling", [], [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300]),
    timersPending: m.gauge("timers_pending", "Stored messages with a pending expire-at"),
  };
  return { registry: m.registry, metrics };
}
