// The session router process: configuration, real adapters, the ops listener (router.ops), signals.
import { loadConfig } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { exitWhenBusLost, openBus, requireUrls, runProcess } from "@xmppd/runtime";
import { createAccountXmlStore, createBlockStore, createLastActivityStore, createRosterStore, createUserStore } from "@xmppd/storage";
import { openDatabases, openSessions, openSm } from "@xmppd/stores-runtime";
import { createRouter } from "./router.ts";

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
  const http = await startHttp({ ...config.router.ops, registry: router.registry, isReady: router.isReady, log });
  exitWhenBusLost(bus, log);
  await router.start();
  return {
    async stop() {
      log.info({ router: router.id }, "draining");
      await router.stop();
      await http.close();
      await Promise.all([bus.close(), sessions.close(), sm.close(), db.close()]);
    },
  };
});
