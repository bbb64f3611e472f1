// The connection gateway as a process: configuration, bus, logs, the public HTTP port (WebSocket
// upgrades, BOSH, host-meta), the HTTPS port (the same over TLS), the ops listener (/metrics,
// /healthz, /readyz on gateway.ops, loopback by default) and signals. It needs NATS only: no
// database or Redis credentials ever reach the DMZ.
import { loadConfig } from "@xmppd/config";
import { createLogger, startHttp } from "@xmppd/observability";
import { createReload, exitWhenBusLost, openBus, requireUrls, runProcess, watchDependencies } from "@xmppd/runtime";
import { createGateway } from "./gateway.ts";
import { listenHttp } from "./http-listener.ts";

runProcess("connection-gateway", async () => {
  const load = () => loadConfig({ file: process.argv[2], env: process.env });
  const config = load();
  requireUrls("connection-gateway", config, ["nats"]);
  const log = createLogger({ service: "connection-gateway", level: config.log.level });
  const bus = await openBus(config, "connection-gateway", log);
  const gateway = await createGateway({ config, bus, log });
  await gateway.start();
  // wss:// and BOSH over TLS on gateway.httpsPort, with the certificate SIGHUP reloads.
  await gateway.listenHttps();
  // Not ready while NATS is away (it reconnects by itself); clients stay connected meanwhile.
  const deps = watchDependencies({ registry: gateway.registry, log, probes: { nats: () => bus.flush() } });
  const http = await listenHttp(gateway, config.gateway.host, config.gateway.httpPort, log);
  const ops = await startHttp({ ...config.gateway.ops, registry: gateway.registry, log, isReady: () => gateway.isReady() && deps.isReady(), readyDetail: deps.describe });
  exitWhenBusLost(bus, log);
  return {
    // SIGHUP: a renewed certificate for new TLS connections, without dropping anyone; log.level.
    reload: createReload({ log, config, load, steps: { tls: () => gateway.reloadTls() } }),
    async stop() {
      log.info("draining");
      await gateway.stop();
      deps.stop();
      await http.close();
      await ops.close();
      await bus.close();
    },
  };
});
