// The composition root of a connection gateway: TLS material, router pool, upstream relay,
// c2s listener and the bus link. The gateway talks only to the bus (ARCHITECTURE: NATS only).
import { randomBytes } from "node:crypto";
import { subjects, type Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { tryParseJid } from "@xmppd/jid";
import type { Logger, Metrics } from "@xmppd/observability";
import { listenC2s, type C2sListener } from "./c2s-listener.ts";
import { linkToCluster, type ClusterLink } from "./cluster-link.ts";
import type { Connection } from "./connection.ts";
import type { GatewayContext } from "./context.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { RouterPool } from "./router-pool.ts";
import { SaslThrottle } from "./sasl-throttle.ts";
import { loadPem, secureContextFor } from "./tls-context.ts";
import { Upstream } from "./upstream.ts";

export interface GatewayDeps {
  config: Config;
  bus: Bus;
  log: Logger;
  /** Where a generated certificate is kept; default config.dataDir. */
  dataDir?: string;
}

export interface Gateway {
  readonly id: string;
  readonly registry: Metrics["registry"];
  start(): Promise<void>;
  /** Graceful drain: <system-shutdown/> to every client, then stop (bounded by gateway.drainMs). */
  stop(): Promise<void>;
  /** Listening and at least one live router to send connections to. */
  isReady(): boolean;
  /** The bound c2s port (config port 0 picks a free one). */
  c2sPort(): number;
}

/** How long a closed connection's last envelopes wait for the router's ack. */
const LINGER_MS = 30_000;

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, bus } = deps;
  const id = config.gateway.id ?? `gw-${randomBytes(6).toString("hex")}`;
  const log = deps.log.child({ gateway: id });
  const subs = subjects(config.cluster);
  const metrics = createGatewayMetrics();
  const tls = config.gateway.tls;
  const pem = await loadPem({ domains: config.domains, certFile: tls.certFile, keyFile: tls.keyFile, dataDir: deps.dataDir ?? config.dataDir });
  const pool: RouterPool = new RouterPool(config.heartbeat.deadAfterMs, {
    onLive: (router) => (log.info({ router }, "router live"), upstream.routerLive()),
    onLeaving: (router, why) => (log.warn({ router, why }, "moving connections off router"), upstream.routerLeaving(router, why)),
  });
  const limits = config.gateway.limits;
  const upstream: Upstream = new Upstream({
    bus, subjects: subs, gatewayId: id, pool,
    maxEnvelopes: limits.outboundStanzas, maxBytes: limits.outboundBytes, lingerMs: LINGER_MS,
  });
  const ctx: GatewayContext = {
    id, config, log, metrics, upstream,
    saslThrottle: new SaslThrottle(limits.saslFailuresPerIp),
    secureContext: secureContextFor(pem),
    domains: config.domains.map((d) => tryParseJid(d)?.domain ?? d.toLowerCase()),
  };
  const connections = new Map<string, Connection>();
  let listener: C2sListener | null = null;
  let link: ClusterLink | null = null;
  let stopping = false;

  return {
    id,
    registry: metrics.base.registry,
    async start() {
      // Follow router beacons before accepting, so the first connections find a router.
      link = linkToCluster(ctx, bus, subs, pool, connections);
      listener = await listenC2s(ctx, connections);
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await listener?.drain(config.gateway.drainMs);
      link?.stop();
      await bus.flush();
      upstream.dispose();
      log.info("gateway stopped");
    },
    isReady: () => listener !== null && !stopping && pool.hasLive(),
    c2sPort: () => listener?.port() ?? 0,
  };
}
