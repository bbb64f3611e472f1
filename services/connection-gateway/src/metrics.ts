// The gateway's metrics, all named xmpp_gateway_... (docs/metrics.md "Naming").
import { createMetrics, type Metrics } from "@xmppd/observability";

type Counter = ReturnType<Metrics["counter"]>;
type Gauge = ReturnType<Metrics["gauge"]>;

export interface GatewayMetrics {
  readonly base: Metrics;
  connections: Gauge;
  refused: Counter;
  stanzasIn: Counter;
  stanzasOut: Counter;
  streamErrors: Counter;
  authResults: Counter;
  unacked: Gauge;
  unknownConnection: Counter;
  smResumptions: Counter;
  repeatedDeliveries: Counter;
  /** Stanzas delivered (written, or acknowledged under XEP-0198) or dropped, by reason (docs/bounds.md). */
  stanzaOutcomes: Counter;
  /** Reads paused because the connection's router window was full (backpressure). */
  routerWindowPauses: Counter;
}

export function createGatewayMetrics(): GatewayMetrics {
  const base = createMetrics("connection-gateway");
  return {
    base,
    connections: base.gauge("connections", "Open client connections", ["transport"]),
    refused: base.counter("connections_refused_total", "Connections refused by admission limits", ["limit"]),
    stanzasIn: base.counter("stanzas_in_total", "Stanzas received from clients and relayed", ["kind"]),
    stanzasOut: base.counter("stanzas_out_total", "Stanzas written to clients", ["kind"]),
    streamErrors: base.counter("stream_errors_total", "Stream errors sent to clients", ["condition"]),
    authResults: base.counter("auth_results_total", "SASL outcomes", ["result"]),
    unacked: base.gauge("bus_unacked_envelopes", "Envelopes sent to routers and not yet acknowledged"),
    unknownConnection: base.counter("inbound_unknown_connection_total", "Bus messages for connections no longer here", ["t"]),
    smResumptions: base.counter("sm_resumptions_total", "XEP-0198 resumption attempts, by result (success, failed)", ["result"]),
    stanzaOutcomes: base.counter("stanza_outcomes_total", "Stanzas delivered to clients (written; under XEP-0198 acknowledged) or dropped with their stream, by reason", ["outcome", "reason"]),
    routerWindowPauses: base.counter("router_window_pauses_total", "Times a client socket stopped being read because its connection's unacknowledged envelopes filled the router window (backpressure; reading resumes at half)"),
    repeatedDeliveries: base.counter("repeated_deliveries_total", "Deliveries dropped because the connection already wrote their idempotency key (an AMP event sent again)"),
  };
}
