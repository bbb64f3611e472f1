// The socket listeners: c2s TCP with STARTTLS (RFC 6120 §3, §5) and direct TLS (XEP-0368),
// where the TLS handshake comes first and the stream starts secure.
import { createServer, type AddressInfo } from "node:net";
import type { Accept } from "./accept.ts";
import type { GatewayContext } from "./context.ts";
import { SocketTransport } from "./socket-transport.ts";

export interface Listener {
  port(): number;
  /** Stops accepting; resolves once the connections it accepted have ended. */
  close(): Promise<void>;
}

export async function listenTcp(ctx: GatewayContext, kind: "tcp" | "tls", port: number, accept: Accept): Promise<Listener> {
  const { host } = ctx.config.gateway;
  // Each direct TLS connection takes the certificate current when it arrives (reloads apply to new ones).
  const server = createServer({ noDelay: true }, (socket) => accept(new SocketTransport(socket, kind, kind === "tls" ? ctx.tls.forDomain(undefined) : undefined)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  ctx.log.info({ host, port: (server.address() as AddressInfo).port, transport: kind }, kind === "tls" ? "direct TLS listening" : "c2s listening");
  return {
    port: () => (server.address() as AddressInfo | null)?.port ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
