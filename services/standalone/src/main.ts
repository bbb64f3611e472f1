// `npm start`: the whole server in one process (see app.ts), for a first look or a small site.
import { loadConfig } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { startStandalone } from "./app.ts";
import { banner } from "./banner.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ service: "standalone", level: config.log.level });
  const app = await startStandalone(config, log);
  const mode = app.isEmbeddedDatabase && !config.nats.url ? `embedded, data in ${config.dataDir}` : "joined to the configured cluster";
  process.stderr.write(banner(config, app.ports.c2s, mode));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
