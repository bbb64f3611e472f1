// The public HTTP port (gateway.httpPort): WebSocket upgrades on /xmpp-websocket (RFC 7395), BOSH
// on /http-bind (XEP-0206) and host-meta (XEP-0156). Everything else is 404, /metrics and the
// probes included: they are on the ops listener (gateway.ops), which is never where clients are.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@xmppd/observability";
import type { HttpsHandlers } from "./https-listener.ts";

export interface PublicHttp {
  port: number;
  close(): Promise<void>;
}

export async function listenHttp(handlers: HttpsHandlers, host: string, port: number, log: Logger): Promise<PublicHttp> {
  const server = createServer((req, res) => {
    if (handlers.request(req, res)) return;
    const body = "not found\n";
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  server.on("upgrade", handlers.upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  log.info({ host, port: bound, transport: "http" }, "HTTP (ws://, BOSH) listening");
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Called after the gateway's drain: what is left are idle keep-alive connections.
        server.closeAllConnections();
      }),
  };
}
