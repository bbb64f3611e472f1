// An envelope whose work failed for good (not a dependency away for now, which is retried in
// place: connections.ts). Its seq is acknowledged, so a stanza in it must not vanish silently:
// its sender gets internal-server-error (RFC 6120 §8.3.3.5), never for an error stanza (§8.3.1).
import type { ToRouter } from "@xmppd/bus";
import { errorReply } from "@xmppd/stanza";
import { parseElement, type Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";

export function envelopeFailed(ctx: RouterContext, state: ConnState, env: ToRouter, err: unknown, startedAt: bigint): void {
  ctx.log.error({ err, gw: state.gw, conn: state.conn, t: env.t, seq: env.seq }, "envelope failed");
  if (env.t !== "stanza") return;
  let el: Element;
  try {
    el = parseElement(env.xml);
  } catch {
    return;
  }
  if (el.name !== "message" && el.name !== "presence" && el.name !== "iq") return;
  // The sender is the identity this router established, whatever the bytes say (invariant 3).
  if (state.identity !== undefined) el.attrs.from = state.identity;
  replyTo(ctx, state, errorReply(el, "internal-server-error"));
  ctx.metrics.routed(el.name, "failed", startedAt);
}
