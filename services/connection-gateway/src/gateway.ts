// The composition root of a connection gateway: TLS material, router pool, upstream relay,
// the listeners (c2s TCP, direct TLS, HTTPS, WebSocket upgrades, BOSH requests) and the bus link. The gateway talks
// only to the bus (docs/architecture.md "Three tiers": NATS only).
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { gatewayId, subjects, type Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { tryParseJid } from "@xmppd/jid";
import type { Logger, Metrics } from "@xmppd/observability";
import { createAccept } from "./accept.ts";
import { boshEndpoint } from "./bosh-endpoint.ts";
import { linkToCluster, type ClusterLink } from "./cluster-link.ts";
import type { Connection } from "./connection.ts";
import type { GatewayContext } from "./context.ts";
import { serveHostMeta } from "./host-meta.ts";
import { listenHttps, type HttpsListener } from "./https-listener.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { RouterPool } from "./router-pool.ts";
import { SaslThrottle } from "./sasl-throttle.ts";
import { shutdownStream, type Elsewhere } from "./shutdown.ts";
import { listenTcp, type Listener } from "./tcp-listener.ts";
import { TlsMaterial } from "./tls-context.ts";
import { Returns } from "./returns.ts";
import { Upstream } from "./upstream.ts";
import { websocketEndpoint } from "./ws-endpoint.ts";

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
  /** The bound direct TLS port (XEP-0368). */
  tlsPort(): number;
  /**
   * Opens the HTTPS port (gateway.httpsPort): wss:// and BOSH over TLS with the direct TLS
   * certificate. Separate from start() because the process entry points own the HTTP ports.
   */
  listenHttps(): Promise<void>;
  /** The bound HTTPS port; 0 before listenHttps. */
  httpsPort(): number;
  /** The HTTP server's upgrade handler: WebSocket on /xmpp-websocket (RFC 7395). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The HTTP server's request handler for BOSH on /http-bind (XEP-0124, XEP-0206) and XEP-0156 host-meta; false: not ours. */
  request(req: IncomingMessage, res: ServerResponse): boolean;
  /** Re-reads the certificate (SIGHUP): new TLS connections get it, open ones keep theirs. */
  reloadTls(): Promise<void>;
}

/** How long a closed connection's last envelopes wait for the router's ack. */
const LINGER_MS = 30_000;

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, bus } = deps;
  const id = gatewayId(config.gateway.name, randomBytes(6).toString("hex"));
  const log = deps.log.child({ gateway: id });
  const subs = subjects(config.cluster);
  const metrics = createGatewayMetrics();
  const { tls, limits } = config.gateway;
  const material = await TlsMaterial.load({ domains: config.domains, certFile: tls.certFile, keyFile: tls.keyFile, certificates: tls.certificates, dataDir: deps.dataDir ?? config.dataDir });
  const pool: RouterPool = new RouterPool(config.heartbeat.deadAfterMs, {
    onLive: (router) => (log.info({ router }, "router live"), upstream.routerLive()),
    onLeaving: (router, why) => (log.warn({ router, why }, "moving connections off router"), upstream.routerLeaving(router, why)),
  });
  const upstream: Upstream = new Upstream({
    bus, subjects: subs, gatewayId: id, pool,
    maxEnvelopes: limits.outboundStanzas, maxBytes: limits.outboundBytes, lingerMs: LINGER_MS,
  });
  const returns = new Returns({
    bus, subjects: subs, gatewayId: id, upstream, windowMs: LINGER_MS, maxHeld: limits.outboundStanzas,
    outcome: (outcome, n) => metrics.stanzaOutcomes.inc({ outcome, reason: "stream-ended" }, n),
  });
  const ctx: GatewayContext = {
    id, config, log, metrics, upstream, returns,
    saslThrottle: new SaslThrottle(limits.saslFailuresPerIp),
    tls: material,
    domains: config.domains.map((d) => tryParseJid(d)?.domain ?? d.toLowerCase()),
  };
  const connections = new Map<string, Connection>();
  const accept = createAccept(ctx, connections);
  const websocket = websocketEndpoint(ctx, accept);
  const bosh = boshEndpoint(ctx, accept);
  const handleRequest = (req: IncomingMessage, res: ServerResponse): boolean =>
    serveHostMeta(req, res, config.gateway.websocket.tlsTerminatedByProxy) || bosh.handle(req, res);
  let listeners: { c2s: Listener; tls: Listener } | null = null;
  let https: HttpsListener | null = null;
  let link: ClusterLink | null = null;
  let stopping = false;

  return {
    id,
    registry: metrics.base.registry,
    async start() {
      // Follow router beacons before accepting, so the first connections find a router.
      link = linkToCluster(ctx, bus, subs, pool, connections);
      listeners = { c2s: await listenTcp(ctx, "tcp", config.gateway.c2sPort, accept), tls: await listenTcp(ctx, "tls", config.gateway.tlsPort, accept) };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      websocket.close();
      bosh.close();
      await drain([...(listeners ? [listeners.c2s, listeners.tls] : []), ...(https ? [https] : [])], connections, config.gateway.drainMs, { host: config.gateway.seeOtherHost, uri: config.gateway.websocket.seeOtherUri });
      link?.stop();
      await bus.flush();
      returns.dispose();
      upstream.dispose();
      log.info("gateway stopped");
    },
    isReady: () => listeners !== null && !stopping && pool.hasLive(),
    c2sPort: () => listeners?.c2s.port() ?? 0,
    tlsPort: () => listeners?.tls.port() ?? 0,
    async listenHttps() {
      https ??= await listenHttps(ctx, config.gateway.httpsPort, { upgrade: websocket.upgrade, request: handleRequest });
    },
    httpsPort: () => https?.port() ?? 0,
    upgrade: (req, socket, head) => websocket.upgrade(req, socket, head),
    request: handleRequest,
    async reloadTls() {
      await material.reload();
      https?.reload();
      log.info("TLS certificate reloaded");
    },
  };
}

/** Stops accepting, sends <system-shutdown/> everywhere and waits for connections to end, at most drainMs. */
async function drain(listeners: Listener[], connections: Map<string, Connection>, drainMs: number, elsewhere: Elsewhere): Promise<void> {
  const closed = Promise.all(listeners.map((l) => l.close()));
  for (const conn of connections.values()) shutdownStream(conn, elsewhere);
  let waiting = true;
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, drainMs).unref());
  // WebSocket connections are not the listeners' sockets: wait for them too.
  const ended = (async () => {
    while (waiting && connections.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  })();
  await Promise.race([Promise.all([closed, ended]), deadline]);
  waiting = false;
  // A listener closes only once its sockets have ended; past drainMs, cut the rest.
  for (const conn of connections.values()) conn.destroy();
  await closed;
}
