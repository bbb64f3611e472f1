// The session router process: configuration, real adapters, the ops listener (router.ops), signals.
import { loadConfig } from "@xmppd/config";
import { connectionErrorLogger, createLogger, startHttp } from "@xmppd/observability";
import { createReload, exitWhenBusLost, openBus, requireUrls, runProcess, watchDependencies } from "@xmppd/runtime";
import { createAccountXmlStore, createBlockStore, createLastActivityStore, createRosterStore, createUserStore } from "@xmppd/storage";
import { openAuthThrottle, openDatabases, openSessions, openSm } from "@xmppd/stores-runtime";
import { createRouter } from "./router.ts";

/** A bare JID no account has (.invalid, RFC 2606): reading its sessions is a Redis round trip. */
const READINESS_PROBE_JID = "readiness@probe.invalid";

runProcess("session-router", async () => {
  const config = loadConfig();
  requireUrls("session-router", config, ["nats", "redis", "database"]);
  const log = createLogger({ service: "session-router", level: config.log.level });
  // Connection errors as rate-limited JSON lines, one limiter per server (connection-errors.ts).
  const redisErrors = connectionErrorLogger(log, "redis");
  const db = await openDatabases(config, { amp: false, onError: connectionErrorLogger(log, "postgres") });
  const bus = await openBus(config, "session-router", log);
  const sessions = openSessions(config, redisErrors);
  const sm = openSm(config, redisErrors);
  const authThrottle = openAuthThrottle(config, redisErrors);
  const accounts = { blocks: createBlockStore(db.core), xml: createAccountXmlStore(db.core), last: createLastActivityStore(db.core) };
  const router = await createRouter({ config, bus, sessions, users: createUserStore(db.core), rosters: createRosterStore(db.core), accounts, log, sm, authThrottle });
  // Not ready while NATS, Redis or Postgres is away; envelopes are retried unacknowledged meanwhile.
  const deps = watchDependencies({
    registry: router.registry, log,
    probes: { nats: () => bus.flush(), redis: () => sessions.get(READINESS_PROBE_JID), postgres: () => db.core.query("SELECT 1") },
  });
  const http = await startHttp({ ...config.router.ops, registry: router.registry, log, isReady: () => router.isReady() && deps.isReady(), readyDetail: deps.describe });
  exitWhenBusLost(bus, log);
  await router.start();
  return {
    // SIGHUP: log.level (nothing else here can change without a restart; the line says what did).
    reload: createReload({ log, config, load: () => loadConfig() }),
    async stop() {
      log.info({ router: router.id }, "draining");
      await router.stop();
      deps.stop();
      await http.close();
      await Promise.all([bus.close(), sessions.close(), sm.close(), authThrottle.close(), db.close()]);
    },
  };
});
