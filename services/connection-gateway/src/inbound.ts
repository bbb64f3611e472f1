// Router/AMP worker -> gateway (the gateway's inbox subject): deliveries, SASL answers, bind
// results, acks and closes, each for one connection.
import { decode, type AckBatch, type ToGateway } from "@xmppd/bus";
import { STREAM_ERROR_CONDITIONS, type StreamErrorCondition } from "@xmppd/stanza";
import { onBound } from "./bind-relay.ts";
import type { Connection } from "./connection.ts";
import type { GatewayContext } from "./context.ts";
import { onLegacyBound, onPreauthReply } from "./preauth-relay.ts";
import { onSaslReply } from "./sasl-relay.ts";
import { onSmReply } from "./sm-nonza.ts";
import { firstTime } from "./once-keys.ts";

const KIND = /^<([A-Za-z][\w.-]*)/;

export function inboxHandler(ctx: GatewayContext, connections: ReadonlyMap<string, Connection>) {
  // Acks concern the relay buffer, which outlives the socket (a closed connection's last envelopes).
  const ack = (conn: string, seq: number): void => {
    ctx.upstream.ack(conn, seq);
    ctx.returns.acked(conn);
    // XEP-0198: the client stanzas of those envelopes are handled now (our <a h/>).
    connections.get(conn)?.sm?.routerAcked(seq);
  };
  return (data: Uint8Array): void => {
    let msg: ToGateway | AckBatch;
    try {
      msg = decode<ToGateway | AckBatch>(data);
    } catch (err) {
      ctx.log.warn({ err }, "dropping undecodable inbox message");
      return;
    }
    if (msg?.t === "acks") return void ackAll(ctx, msg, ack);
    if (typeof msg?.conn !== "string") return void ctx.log.warn({ t: (msg as { t?: unknown })?.t }, "inbox message without conn");
    if (msg.t === "ack") return ack(msg.conn, msg.seq);
    // The router saw a gap (NATS lost envelopes) or does not know the connection: the window again.
    if (msg.t === "resend") return void ctx.upstream.resend(msg.conn, msg.from);
    const conn = connections.get(msg.conn);
    if (!conn || conn.isClosing()) {
      if (msg.t === "deliver" && msg.sm === undefined && ctx.returns.offer(msg.conn, msg.xml)) return;
      return void ctx.metrics.unknownConnection.inc({ t: msg.t });
    }
    apply(conn, msg);
  };
}

/** Each [conn, seq] of a router's AckBatch (cluster-link.ts announces that this gateway reads them). */
function ackAll(ctx: GatewayContext, msg: AckBatch, ack: (conn: string, seq: number) => void): void {
  if (!Array.isArray(msg.acks)) return void ctx.log.warn({ t: msg.t }, "acknowledgement batch without acks");
  for (const entry of msg.acks) {
    if (Array.isArray(entry) && typeof entry[0] === "string" && typeof entry[1] === "number") ack(entry[0], entry[1]);
  }
}

function apply(conn: Connection, msg: Exclude<ToGateway, { t: "ack" | "resend" }>): void {
  switch (msg.t) {
    case "deliver":
      if (msg.once !== undefined && !firstTime(conn, msg.once)) return void conn.ctx.metrics.repeatedDeliveries.inc();
      conn.ctx.metrics.stanzasOut.inc({ kind: KIND.exec(msg.xml)?.[1] ?? "unknown" });
      return conn.sm ? conn.sm.deliver(msg.xml, msg.sm) : conn.deliver(msg.xml);
    case "sasl":
      return onSaslReply(conn, msg);
    case "bound":
      return msg.legacyAuth ? onLegacyBound(conn, msg) : onBound(conn, msg);
    case "preauth":
      return onPreauthReply(conn, msg);
    case "close":
      if (msg.kick) {
        conn.ctx.log.info({ event: "kick", ip: conn.ip, transport: conn.transport.kind, conn: conn.id, jid: conn.jid ?? conn.user, text: msg.text }, "session kicked by an administrator");
      }
      return conn.fail(streamCondition(msg.condition), msg.text);
    case "sm":
      return onSmReply(conn, msg);
    default:
      conn.ctx.log.warn({ t: (msg as { t: unknown }).t }, "unknown inbox message type");
  }
}

/** A condition from the router that is not an RFC 6120 §4.9.3 one becomes undefined-condition. */
function streamCondition(condition: string): StreamErrorCondition {
  const known: readonly string[] = STREAM_ERROR_CONDITIONS;
  return known.includes(condition) ? (condition as StreamErrorCondition) : "undefined-condition";
}
