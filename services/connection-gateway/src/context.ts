// What every connection shares: configuration, the upstream relay, limits and telemetry.
import type { Config } from "@xmppd/config";
import type { Logger } from "@xmppd/observability";
import type { GatewayMetrics } from "./metrics.ts";
import type { SaslThrottle } from "./sasl-throttle.ts";
import type { TlsMaterial } from "./tls-context.ts";
import type { Returns } from "./returns.ts";
import type { Upstream } from "./upstream.ts";

export interface GatewayContext {
  readonly id: string;
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly upstream: Upstream;
  /** Messages that reached a connection after it ended, on their way back to its router. */
  readonly returns: Returns;
  readonly saslThrottle: SaslThrottle;
  /** The current certificate for STARTTLS and direct TLS (replaced on reload). */
  readonly tls: TlsMaterial;
  /** The served domains, prepared (RFC 7622) for comparison with a stream header's `to`. */
  readonly domains: readonly string[];
}
