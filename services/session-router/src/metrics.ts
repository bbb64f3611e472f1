// The router's metrics (xmpp_router_...).
import { createMetrics } from "@xmppd/observability";
import type { Registry } from "prom-client";

export interface RouterMetrics {
  registry: Registry;
  /** Stanzas by kind (message, presence, iq) and outcome (deliver, offline, error, ...). */
  routed(kind: string, outcome: string, startedAt: bigint): void;
  auth(mechanism: string, result: "success" | "failure"): void;
  /** XEP-0077 outcomes: created, conflict, not-acceptable, not-allowed, password-changed, removed. */
  registration(result: string): void;
  bound(): void;
  /** XEP-0079 messages refused by validation (DP-03 a-c), by error category. */
  ampRejected(kind: string): void;
  /** XEP-0198 session events: enabled, resumed, resume_unknown, detached, expired, queue_full ... */
  sm(event: string): void;
  /** Envelopes and beacons refused because a gateway claimed what it does not hold (docs/security.md). */
  refused(reason: string): void;
  /** Cluster-wide authentication throttle: failure_counted, address_banned, refused_banned, refused_capped. */
  authThrottle(event: "failure_counted" | "address_banned" | "refused_banned" | "refused_capped"): void;
  /** The session store lost its data (docs/redis-loss.md), as this router found. */
  storeLost(): void;
  /** A re-registration's outcome; `seconds` since this router found the loss, when it did. */
  reregistered(outcome: string, seconds: number | undefined): void;
  /** Where a stanza's journey ended on the router: bounced or dropped, by reason (docs/bounds.md). */
  outcome(outcome: "bounced" | "dropped", reason: string): void;
}

export function createRouterMetrics(): RouterMetrics {
  const m = createMetrics("session-router");
  const stanzas = m.counter("stanzas_routed_total", "Stanzas routed, by kind and outcome", ["kind", "outcome"]);
  const latency = m.histogram("routing_seconds", "Time from an envelope's arrival to its hand-off", ["kind"], [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
  const auth = m.counter("auth_total", "SASL authentication results, by mechanism", ["mechanism", "result"]);
  const registrations = m.counter("registrations_total", "XEP-0077 registrations, password changes and cancellations, by result", ["result"]);
  const bound = m.counter("sessions_bound_total", "Resources bound");
  const ampRejected = m.counter("amp_rejected_total", "XEP-0079 messages refused by validation before enqueueing, by category", ["category"]);
  const sm = m.counter("sm_events_total", "XEP-0198 stream management events, by event", ["event"]);
  const refused = m.counter("refused_envelopes_total", "Gateway envelopes and beacons refused: a connection, JID, session or gateway the gateway does not hold, by reason", ["reason"]);
  const throttle = m.counter("auth_throttle_total", "Authentication throttle events: failures counted cluster-wide, addresses banned, attempts refused (banned address, capped account)", ["event"]);
  const lost = m.counter("session_store_lost_total", "Times this router found the session store's data lost (its epoch marker changed)");
  const rereg = m.counter("reregistrations_total", "Sessions re-registered by their gateways after the session store lost its data, by outcome", ["outcome"]);
  const reregLag = m.histogram("reregister_seconds", "Time from finding the session store's data lost to each session's re-registration", [], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  const outcomes = m.counter("stanza_outcomes_total", "Stanzas bounced to their sender or dropped by rule on the router, by reason", ["outcome", "reason"]);
  return {
    registry: m.registry,
    outcome: (outcome, reason) => outcomes.inc({ outcome, reason }),
    authThrottle: (event) => throttle.inc({ event }),
    storeLost: () => lost.inc(),
    reregistered(outcome, seconds) {
      rereg.inc({ outcome });
      if (seconds !== undefined) reregLag.observe(seconds);
    },
    sm: (event) => sm.inc({ event }),
    refused: (reason) => refused.inc({ reason }),
    routed(kind, outcome, startedAt) {
      stanzas.inc({ kind, outcome });
      latency.observe({ kind }, Number(process.hrtime.bigint() - startedAt) / 1e9);
    },
    auth: (mechanism, result) => auth.inc({ mechanism, result }),
    registration: (result) => registrations.inc({ result }),
    bound: () => bound.inc(),
    ampRejected: (category) => ampRejected.inc({ category }),
  };
}
