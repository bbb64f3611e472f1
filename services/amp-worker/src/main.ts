// The AMP worker process: configuration, real adapters, the ops listener (amp.ops), signals.
import { loadConfig } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { exitWhenBusLost, openBus, requireUrls, runProcess } from "@xmppd/runtime";
import { createAmpStore, createBlockStore, createOfflineStore, createRosterStore, createUserStore } from "@xmppd/storage";
import { openDatabases, openSessions, openSm } from "@xmppd/stores-runtime";
import { createAmpWorker } from "./app.ts";

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
  const http = await startHttp({ ...config.amp.ops, registry: worker.registry, isReady: worker.isReady, log });
  exitWhenBusLost(bus, log);
  await worker.start();
  return {
    async stop() {
      log.info("draining");
      await worker.stop();
      await http.close();
      await Promise.all([bus.close(), sessions.close(), sm.close(), db.close()]);
    },
  };
});
