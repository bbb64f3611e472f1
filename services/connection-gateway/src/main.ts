// The connection gateway as a process: configuration, bus, logs, the ops endpoint and signals.
// Everything else is in gateway.ts.
import { createNatsBus } from "@xmppd/bus";
import { loadConfig } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { createGateway } from "./gateway.ts";

async function main(): Promise<void> {
  const config = loadConfig({ file: process.argv[2], env: process.env });
  const log = createLogger({ service: "connection-gateway", level: config.log.level });
  if (!config.nats.url) {
    throw new Error("nats.url is required: the gateway reaches the cluster only over NATS (set NATS_URL, e.g. NATS_URL=nats://127.0.0.1:4222)");
  }
  const bus = await createNatsBus({ url: config.nats.url, name: "connection-gateway" });
  const gateway = await createGateway({ config, bus, log });
  await gateway.start();
  const http = await startHttp({ host: config.gateway.host, port: config.gateway.httpPort, registry: gateway.registry, isReady: gateway.isReady, log });
  bus.onClosed((err) => {
    log.fatal({ err }, "lost the bus for good");
    process.exit(1);
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining");
    await gateway.stop();
    await http.close();
    await bus.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`connection-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
