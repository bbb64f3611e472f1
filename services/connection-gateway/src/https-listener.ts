// The HTTPS listener: WebSocket (wss://, RFC 7395) and BOSH over TLS (XEP-0206) with the same
// certificate as direct TLS. `reload` hands a renewed certificate (SIGHUP) to new handshakes;
// open connections keep theirs, as on tlsPort. Streams that arrive here count as secure:
// ws-endpoint.ts and bosh-endpoint.ts ask the request's socket (isTlsRequest).
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { GatewayContext } from "./context.ts";
import type { Listener } from "./tcp-listener.ts";

export interface HttpsHandlers {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** True when it took the request; the rest get 404 (/metrics stays on the plain port). */
  request(req: IncomingMessage, res: ServerResponse): boolean;
}

export interface HttpsListener extends Listener {
  /** New handshakes use the TLS material's current certificate. */
  reload(): void;
}

/** HTTP/1.1 only: the RFC 7395 upgrade and XEP-0124 long polls are HTTP/1.1 mechanisms. */
const ALPN = ["http/1.1"];
const IDLE_POLL_MS = 50;

/** True when the request arrived over TLS: ours (the HTTPS port) or an ingress's (config). */
export function isTlsRequest(req: IncomingMessage, tlsTerminatedByProxy: boolean): boolean {
  return tlsTerminatedByProxy || (req.socket as Partial<TLSSocket>).encrypted === true;
}

export async function listenHttps(ctx: GatewayContext, port: number, handlers: HttpsHandlers): Promise<HttpsListener> {
  const { host, limits } = ctx.config.gateway;
  const server = createServer(
    // A connection that never finishes its handshake is cut like a stalled negotiation step.
    { ...ctx.tls.options, SNICallback: ctx.tls.sni, ALPNProtocols: ALPN, handshakeTimeout: limits.negotiationStepMs, noDelay: true },
    (req, res) => {
      if (handlers.request(req, res)) return;
      const body = "not found\n";
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    },
  );
  server.on("upgrade", handlers.upgrade);
  // Failed handshakes and resets are the client's problem, never the process's (invariant 4).
  server.on("tlsClientError", (_err, socket) => socket.destroy());
  const open = new Set<Duplex>();
  server.on("connection", (socket: Duplex) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  ctx.log.info({ host, port: (server.address() as AddressInfo).port, transport: "https" }, "HTTPS (wss://, BOSH) listening");
  return {
    port: () => (server.address() as AddressInfo | null)?.port ?? 0,
    reload: () => server.setSecureContext(ctx.tls.options),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections between BOSH requests would hold close() open; the streams on
      // the others end through the gateway's drain, and their connections then fall idle too.
      while (open.size > 0) {
        server.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
      }
      await closed;
    },
  };
}
