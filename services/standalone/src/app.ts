// All three services in one process: router, AMP worker and gateway over shared infrastructure,
// the gateway's public HTTP port (WebSocket, BOSH), each service's ops listener (/metrics,
// /healthz, /readyz on <service>.ops, loopback by default) and the embedded admin endpoint.
import { createDirectAdminOps, createEmbeddedServerOps, removeAdminFile, serveAdminOps, writeAdminFile } from "@xmppd/admin";
import { createAmpWorker } from "@xmppd/amp-worker";
import type { Config } from "@xmppd/config";
import { createGateway, listenHttp } from "@xmppd/connection-gateway";
import { startHttp } from "@xmppd/observability";
import type { Logger, Metrics, OpsHttp } from "@xmppd/observability";
import { createRouter } from "@xmppd/session-router";
import { createAccountXmlStore, createAmpStore, createBlockStore, createLastActivityStore, createMemorySmStore, createOfflineStore, createRosterStore, createUserStore } from "@xmppd/storage";
import { openInfra } from "./infra.ts";
import type { Infra } from "./infra.ts";

export interface Standalone {
  /** Ports actually bound (0 in config picks a free one): the gateway's public ones and each service's ops listener. */
  readonly ports: { c2s: number; http: number; https: number; ops: { gateway: number; router: number; amp: number } };
  readonly isEmbeddedDatabase: boolean;
  /** Re-reads the gateway's certificate and key files (SIGHUP): new TLS connections get them. */
  reloadTls(): Promise<void>;
  /** Stops gateway, router and worker in that order, then the infrastructure. */
  stop(): Promise<void>;
}

interface Service {
  isReady(): boolean | Promise<boolean>;
  readonly registry: Metrics["registry"];
}

export async function startStandalone(config: Config, log: Logger): Promise<Standalone> {
  const infra = await openInfra(config, log);
  try {
    return await startServices(config, log, infra);
  } catch (err) {
    // A failed start (a port in use, say) must not leave PGlite or the bus open behind it.
    await infra.close().catch(() => {});
    throw err;
  }
}

async function startServices(config: Config, log: Logger, infra: Infra): Promise<Standalone> {
  const users = createUserStore(infra.core);
  const { bus, sessions } = infra;
  const accounts = { blocks: createBlockStore(infra.core), xml: createAccountXmlStore(infra.core), last: createLastActivityStore(infra.core) };
  // One SmStore for the router and the worker, as Redis is for the separate processes.
  const sm = createMemorySmStore();
  const router = await createRouter({ config, bus, sessions, sm, users, rosters: createRosterStore(infra.core), accounts, log: log.child({ component: "session-router" }) });
  const worker = await createAmpWorker({
    config, bus, sessions, sm, users, roster: createRosterStore(infra.core), blocks: accounts.blocks,
    offline: createOfflineStore(infra.amp), amp: createAmpStore(infra.amp), log: log.child({ component: "amp-worker" }),
  });
  const gateway = await createGateway({ config, bus, log: log.child({ component: "connection-gateway" }), dataDir: config.dataDir });
  // Consumers first, listeners last: by the time a client can connect, its stanzas have a home.
  await router.start();
  await worker.start();
  await gateway.start();
  await gateway.listenHttps();
  const serve = (s: Service, at: { host: string; port: number }): Promise<OpsHttp> =>
    startHttp({ ...at, registry: s.registry, isReady: () => s.isReady(), log });
  const ops = await Promise.all([serve(gateway, config.gateway.ops), serve(router, config.router.ops), serve(worker, config.amp.ops)]);
  // WebSocket (RFC 7395) and BOSH (XEP-0206) clients; no /metrics here.
  const http = await listenHttp(gateway, config.gateway.host, config.gateway.httpPort, log);
  const closeAdmin = infra.isEmbeddedDatabase ? await startAdminEndpoint(config, infra, users, log) : async () => {};

  return {
    ports: {
      c2s: gateway.c2sPort(), http: http.port, https: gateway.httpsPort(),
      ops: { gateway: ops[0].port, router: ops[1].port, amp: ops[2].port },
    },
    isEmbeddedDatabase: infra.isEmbeddedDatabase,
    reloadTls: () => gateway.reloadTls(),
    async stop() {
      await closeAdmin();
      await gateway.stop();
      await router.stop();
      await worker.stop();
      await Promise.all([http, ...ops].map((h) => h.close()));
      await infra.close();
    },
  };
}

/** PGlite allows one process, so the admin CLI reaches the database (and kick, stats, ...) through this endpoint. */
async function startAdminEndpoint(config: Config, infra: Infra, users: ReturnType<typeof createUserStore>, log: Logger): Promise<() => Promise<void>> {
  const ops = createDirectAdminOps({
    users, sessions: infra.sessions, offline: createOfflineStore(infra.amp), amp: createAmpStore(infra.amp),
    iterations: config.scramIterations, domains: config.domains,
  });
  const server = createEmbeddedServerOps({ config, bus: infra.bus, sessions: infra.sessions, core: infra.core, amp: infra.amp });
  // docs/logging.md: an account the admin creates is logged like one registered in-band.
  const register: typeof ops.register = async (user, domain, password) => {
    const jid = await ops.register(user, domain, password);
    log.info({ event: "registration", jid, via: "admin" }, "account registered");
    return jid;
  };
  const endpoint = await serveAdminOps({ ...ops, ...server, register }, (err) => log.error({ err }, "admin request failed"));
  writeAdminFile(config.dataDir, { url: endpoint.url, token: endpoint.token, pid: process.pid });
  return async () => {
    removeAdminFile(config.dataDir);
    await endpoint.close();
  };
}
