// `npm start`: the whole server in one process (see app.ts), for a first look or a small site.
// Signals as every service (runProcess): SIGTERM/SIGINT stop it, SIGHUP reloads the certificate
// and log.level (docs/operations.md).
import { loadConfig } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { createReload, runProcess } from "@xmppd/runtime";
import { startStandalone } from "./app.ts";
import { banner } from "./banner.ts";

runProcess("standalone", async () => {
  const load = () => loadConfig();
  const config = load();
  const log = createLogger({ service: "standalone", level: config.log.level });
  const app = await startStandalone(config, log);
  const mode = app.isEmbeddedDatabase && !config.nats.url ? `embedded, data in ${config.dataDir}` : "joined to the configured cluster";
  process.stderr.write(banner(config, app.ports.c2s, mode));
  return {
    reload: createReload({ log, config, load, steps: { tls: () => app.reloadTls() } }),
    async stop() {
      log.info("stopping");
      await app.stop();
    },
  };
});
