// The c2s TCP listener (RFC 6120 §3): admission limits, then one Connection per socket.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Admission } from "./admission.ts";
import { Connection } from "./connection.ts";
import type { GatewayContext } from "./context.ts";
import { c2sHandlers } from "./dispatch.ts";
import { refusal } from "./stream-text.ts";

export interface C2sListener {
  port(): number;
  /** Stops accepting, sends <system-shutdown/> everywhere and waits for sockets to end, at most drainMs. */
  drain(drainMs: number): Promise<void>;
}

/** Accepts c2s connections; `connections` is kept up to date with the open ones. */
export async function listenC2s(ctx: GatewayContext, connections: Map<string, Connection>): Promise<C2sListener> {
  const { host, c2sPort, limits } = ctx.config.gateway;
  const admission = new Admission(limits);
  const server = createServer({ noDelay: true }, (socket) => accept(socket));

  function accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? "unknown";
    const refused = admission.admit(ip);
    if (refused !== null) return refuse(socket, refused);
    ctx.metrics.connections.inc({ transport: "tcp" });
    const conn = new Connection(ctx, socket, ip, c2sHandlers, (gone) => {
      connections.delete(gone.id);
      admission.release(ip);
      ctx.metrics.connections.dec({ transport: "tcp" });
    });
    connections.set(conn.id, conn);
  }

  function refuse(socket: Socket, limit: string): void {
    ctx.metrics.refused.inc({ limit });
    ctx.metrics.streamErrors.inc({ condition: "policy-violation" });
    socket.on("error", () => socket.destroy());
    // RFC 6120 §4.9.1.2: even an error before the client's header comes inside a stream.
    socket.end(refusal(ctx.domains[0]!, "policy-violation", `connection limit (${limit})`));
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(c2sPort, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  ctx.log.info({ host, port: (server.address() as AddressInfo).port }, "c2s listening");
  return {
    port: () => (server.address() as AddressInfo | null)?.port ?? 0,
    drain: (drainMs) => drain(server, connections, drainMs),
  };
}

async function drain(server: Server, connections: Map<string, Connection>, drainMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const conn of connections.values()) conn.fail("system-shutdown");
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, drainMs).unref());
  await Promise.race([closed, deadline]);
  // server.close() resolves only when every socket has ended; past drainMs, cut the rest.
  for (const conn of connections.values()) conn.destroy();
  await closed;
}
