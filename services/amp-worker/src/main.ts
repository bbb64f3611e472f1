// The AMP worker process: configuration, real adapters, HTTP endpoints, signals.
import { loadConfig } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { exitWhenBusLost, openBus, requireUrls, runProcess, watchDependencies } from "@xmppd/runtime";
import { createAmpStore, createBlockStore, createOfflineStore, createRosterStore, createUserStore } from "@xmppd/storage";
import { openDatabases, openSessions, openSm } from "@xmppd/stores-runtime";
import { createAmpWorker } from "./app.ts";

/** A bare JID no account has (.invalid, RFC 2606): reading its sessions is a Redis round trip. */
const READINESS_PROBE_JID = "readiness@probe.invalid";

runProcess("amp-worker", async () => {
  const config = loadConfig();
  requireUrls("amp-worker", config, ["nats", "redis", "database"]);
  const log = createLogger({ service: "amp-worker", level: config.log.level });
  const db = await openDatabases(config, { amp: true });
  const bus = await openBus(config, "amp-worker");
  const sessions = openSessions(config);
  const sm = openSm(config);
  const worker = await createAmpWorker({
    config, bus, sessions, sm, log,
    users: createUserStore(db.core), roster: createRosterStore(db.core), blocks: createBlockStore(db.core),
    offline: createOfflineStore(db.amp), amp: createAmpStore(db.amp),
  });
  // Not ready while NATS, Redis or a database is away; work fails meanwhile and is nak'd for redelivery.
  const deps = watchDependencies({
    registry: worker.registry, log,
    probes: { nats: () => bus.flush(), redis: () => sessions.get(READINESS_PROBE_JID), postgres: () => Promise.all([db.core.query("SELECT 1"), db.amp.query("SELECT 1")]) },
  });
  const http = await startHttp({
    host: config.amp.host, port: config.amp.httpPort, registry: worker.registry, log,
    isReady: () => worker.isReady() && deps.isReady(), readyDetail: deps.describe,
  });
  exitWhenBusLost(bus, log);
  await worker.start();
  return {
    async stop() {
      log.info("draining");
      await worker.stop();
      deps.stop();
      await http.close();
      await Promise.all([bus.close(), sessions.close(), sm.close(), db.close()]);
    },
  };
});
