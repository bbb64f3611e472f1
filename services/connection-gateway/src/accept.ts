// What every listener shares: admission limits across all transports (per IP, per gateway),
// one Connection per admitted transport, and the connection gauge by transport.
import { streamError } from "@xmppd/stanza";
import { Admission } from "./admission.ts";
import { Connection } from "./connection.ts";
import type { GatewayContext } from "./context.ts";
import { c2sHandlers } from "./dispatch.ts";
import type { Transport } from "./transport.ts";

export type Accept = (transport: Transport) => void;

/** How long a refused client gets to read its stream error. */
const REFUSAL_GRACE_MS = 1000;

export function createAccept(ctx: GatewayContext, connections: Map<string, Connection>): Accept {
  const admission = new Admission(ctx.config.gateway.limits);
  return (transport) => {
    const ip = transport.remoteIp;
    const refused = admission.admit(ip);
    if (refused !== null) return refuse(ctx, transport, refused);
    const labels = { transport: transport.kind };
    ctx.metrics.connections.inc(labels);
    const conn = new Connection(ctx, transport, c2sHandlers, (gone) => {
      connections.delete(gone.id);
      admission.release(ip);
      ctx.metrics.connections.dec(labels);
    });
    connections.set(conn.id, conn);
  };
}

function refuse(ctx: GatewayContext, transport: Transport, limit: string): void {
  ctx.metrics.refused.inc({ limit });
  ctx.metrics.streamErrors.inc({ condition: "policy-violation" });
  transport.attach({ data: () => undefined, error: () => transport.destroy(), closed: () => undefined });
  // RFC 6120 §4.9.1.2: even an error before the client's header comes inside a stream of ours.
  transport.write(transport.header(ctx.domains[0]!, "en"));
  transport.write(streamError("policy-violation", `connection limit (${limit})`).toString());
  transport.write(transport.closeText);
  transport.end(REFUSAL_GRACE_MS);
}
