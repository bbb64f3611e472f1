// The user's own broadcast presence (no 'to'): record it in the session store and, when the
// session becomes able to receive bare-JID messages, ask the AMP worker to flush stored ones.
// Broadcasting to the roster is a later issue.
import { encode, type AmpWork } from "@xmppd/bus";
import type { Jid } from "@xmppd/jid";
import { errorReply } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";
import type { Routed } from "./replies.ts";

export async function handleOwnPresence(ctx: RouterContext, state: ConnState, el: Element, sender: Jid, seq: number): Promise<Routed> {
  const type = el.attrs.type as string | undefined;
  const jid = sender.toString();
  if (type === "unavailable") {
    state.available = false;
    await ctx.sessions.setPresence(jid, state.conn, { available: false, priority: state.priority });
    return "presence";
  }
  // Subscription management and probes without 'to' are roster work (issue 3).
  if (type !== undefined) return "ignore";
  const priority = parsePriority(el);
  if (priority === null) {
    replyTo(ctx, state, errorReply(el, "bad-request"));
    return "error";
  }
  const couldReceive = state.available && state.priority >= 0;
  state.available = true;
  state.priority = priority;
  const present = await ctx.sessions.setPresence(jid, state.conn, { available: true, priority, presence: el.toString() });
  if (!present) {
    ctx.log.warn({ jid, conn: state.conn }, "presence for a session that is gone");
    return "presence";
  }
  // Initial presence (RFC 6121 §4.2), or a raise from a negative priority: the resource now
  // receives bare-JID messages (§8.5.2.1.1), so stored ones are due.
  if (!couldReceive && priority >= 0) await requestFlush(ctx, state, jid, seq);
  return "presence";
}

/** RFC 6121 §4.7.2.3: an integer from -128 to 127, 0 when absent; null when invalid. */
export function parsePriority(el: Element): number | null {
  const text = el.getChildText("priority");
  if (text === null || text === undefined) return 0;
  const trimmed = text.trim();
  if (!/^[+-]?\d{1,4}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= -128 && value <= 127 ? value : null;
}

async function requestFlush(ctx: RouterContext, state: ConnState, jid: string, seq: number): Promise<void> {
  const work: AmpWork = { t: "flush", jid, gw: state.gw, conn: state.conn };
  await ctx.work.publish(ctx.subjects.ampWork("flush"), encode(work), { msgId: `flush:${state.gw}:${state.conn}:${seq}` });
}
