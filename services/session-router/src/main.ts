// The session router process: configuration, real adapters, HTTP endpoints, signals.
import { loadConfig } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { exitWhenBusLost, openBus, requireUrls, runProcess, watchDependencies } from "@xmppd/runtime";
import { createAccountXmlStore, createBlockStore, createLastActivityStore, createRosterStore, createUserStore } from "@xmppd/storage";
import { openDatabases, openSessions, openSm } from "@xmppd/stores-runtime";
import { createRouter } from "./router.ts";

/** A bare JID no account has (.invalid, RFC 2606): reading its sessions is a Redis round trip. */
const READINESS_PROBE_JID = "readiness@probe.invalid";

runProcess("session-router", async () => {
  const config = loadConfig();
  requireUrls("session-router", config, ["nats", "redis", "database"]);
  const log = createLogger({ service: "session-router", level: config.log.level });
  const db = await openDatabases(config, { amp: false });
  const bus = await openBus(config, "session-router");
  const sessions = openSessions(config);
  const sm = openSm(config);
  const accounts = { blocks: createBlockStore(db.core), xml: createAccountXmlStore(db.core), last: createLastActivityStore(db.core) };
  const router = await createRouter({ config, bus, sessions, users: createUserStore(db.core), rosters: createRosterStore(db.core), accounts, log, sm });
  // Not ready while NATS, Redis or Postgres is away; envelopes are retried unacknowledged meanwhile.
  const deps = watchDependencies({
    registry: router.registry, log,
    probes: { nats: () => bus.flush(), redis: () => sessions.get(READINESS_PROBE_JID), postgres: () => db.core.query("SELECT 1") },
  });
  const http = await startHttp({
    host: config.router.host, port: config.router.httpPort, registry: router.registry, log,
    isReady: () => router.isReady() && deps.isReady(), readyDetail: deps.describe,
  });
  exitWhenBusLost(bus, log);
  await router.start();
  return {
    async stop() {
      log.info({ router: router.id }, "draining");
      await router.stop();
      deps.stop();
      await http.close();
      await Promise.all([bus.close(), sessions.close(), sm.close(), db.close()]);
    },
  };
});
