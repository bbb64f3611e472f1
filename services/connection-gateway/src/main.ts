// The connection gateway as a process: configuration, bus, logs, the HTTP port (ops endpoint,
// WebSocket upgrades and BOSH), the HTTPS port (the same over TLS) and signals. It needs NATS
// only: no database or Redis credentials ever reach the DMZ.
import { loadConfig } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { exitWhenBusLost, openBus, requireUrls, runProcess, watchDependencies } from "@xmppd/runtime";
import { createGateway } from "./gateway.ts";

runProcess("connection-gateway", async () => {
  const config = loadConfig({ file: process.argv[2], env: process.env });
  requireUrls("connection-gateway", config, ["nats"]);
  const log = createLogger({ service: "connection-gateway", level: config.log.level });
  const bus = await openBus(config, "connection-gateway");
  const gateway = await createGateway({ config, bus, log });
  // SIGHUP: a renewed certificate for new TLS connections, without dropping anyone.
  process.on("SIGHUP", () => {
    gateway.reloadTls().catch((err: unknown) => log.error({ err }, "TLS reload failed; keeping the previous certificate"));
  });
  await gateway.start();
  // wss:// and BOSH over TLS on gateway.httpsPort, with the certificate SIGHUP reloads.
  await gateway.listenHttps();
  // Not ready while NATS is away (it reconnects by itself); clients stay connected meanwhile.
  const deps = watchDependencies({ registry: gateway.registry, log, probes: { nats: () => bus.flush() } });
  const http = await startHttp({
    host: config.gateway.host, port: config.gateway.httpPort, registry: gateway.registry, log,
    isReady: () => gateway.isReady() && deps.isReady(), readyDetail: deps.describe,
    onUpgrade: gateway.upgrade,
    onRequest: gateway.request,
  });
  exitWhenBusLost(bus, log);
  return {
    async stop() {
      log.info("draining");
      await gateway.stop();
      deps.stop();
      await http.close();
      await bus.close();
    },
  };
});
