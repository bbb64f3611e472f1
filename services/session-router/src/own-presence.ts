// The user's own broadcast presence (no 'to'): record it in the session store, broadcast it to
// the roster (RFC 6121 §4.2, §4.4, §4.5), bring in the contacts' presence on initial presence
// (§4.3), and, when the session becomes able to receive bare-JID messages, ask the AMP worker to
// flush stored ones.
import { WorkQueueFullError, encode, type AmpWork } from "@xmppd/bus";
import type { Jid } from "@xmppd/jid";
import { errorReply } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";
import { broadcast, initialPresence, sessionGone } from "./presence-broadcast.ts";
import { BATCH, isLocal } from "./presence-delivery.ts";
import { isPresenceType } from "./presence-route.ts";
import type { Routed } from "./replies.ts";

export async function handleOwnPresence(ctx: RouterContext, state: ConnState, el: Element, sender: Jid, seq: number): Promise<Routed> {
  const type = el.attrs.type as string | undefined;
  const jid = sender.toString();
  // RFC 6120 §8.3.3.1: a presence type the RFC does not define is a bad request.
  if (!isPresenceType(type)) return badRequest(ctx, state, el);
  const own = await ctx.sessions.get(sender.bareString());
  const self = own.find((s) => s.jid === jid && s.conn === state.conn);
  if (type === "unavailable") {
    state.available = false;
    state.presence = undefined;
    await ctx.sessions.setPresence(jid, state.conn, { available: false, priority: state.priority });
    if (self) {
      // §4.5.2 and §4.6.3: the roster, the account's resources and directed-presence recipients.
      await sessionGone(ctx, self, el);
      if (self.directed) await ctx.sessions.annotate(jid, state.conn, { directed: [] });
    }
    return "presence";
  }
  // Subscription management and probes without 'to' have no addressee: nothing to do.
  if (type !== undefined) return "ignore";
  const priority = parsePriority(el);
  if (priority === null) return badRequest(ctx, state, el);
  const couldReceive = state.available && state.priority >= 0;
  const wasAvailable = self?.available ?? false;
  state.available = true;
  state.priority = priority;
  const presence = flat(el.toString());
  state.presence = presence;
  const present = await ctx.sessions.setPresence(jid, state.conn, { available: true, priority, presence });
  if (!present || !self) {
    ctx.log.warn({ jid, conn: state.conn }, "presence for a session that is gone");
    return "presence";
  }
  if (wasAvailable) await broadcast(ctx, jid, el);
  else {
    // Initial presence: one roster read for the broadcast, the probes and the pending requests,
    // and one session lookup for both audiences (when they fit in one batch).
    const bare = sender.bareString();
    const view = await ctx.rosters.presenceView(bare);
    const wanted = [...new Set([...view.subscribers, ...view.subscriptions, bare])].filter((b) => isLocal(ctx, b));
    const found = wanted.length <= BATCH ? await ctx.sessions.lookup(wanted) : undefined;
    await broadcast(ctx, jid, el, view.subscribers, found);
    await initialPresence(ctx, self, view, found);
  }
  // Initial presence (RFC 6121 §4.2), or a raise from a negative priority: the resource now
  // receives bare-JID messages (§8.5.2.1.1), so stored ones are due. Not while a resource of the
  // account retrieves them flexibly (XEP-0013 §2.2): it asks for them itself.
  // An account an AMP worker found empty, and that nothing was stored for since, is not asked
  // for: most logins (the worker re-checks sessions after every store, nothing-stored.ts).
  if (!couldReceive && priority >= 0 && !own.some((s) => s.flexOffline) && !(await ctx.sessions.nothingStored(sender.bareString()))) await requestFlush(ctx, state, sender, seq);
  return "presence";
}

function badRequest(ctx: RouterContext, state: ConnState, el: Element): Routed {
  replyTo(ctx, state, errorReply(el, "bad-request"));
  return "error";
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

async function requestFlush(ctx: RouterContext, state: ConnState, sender: Jid, seq: number): Promise<void> {
  const work: AmpWork = { t: "flush", jid: sender.toString(), gw: state.gw, conn: state.conn };
  try {
    await ctx.work.publish(ctx.ampQueue.subject("flush", sender.bareString()), encode(work), { msgId: `flush:${state.gw}:${state.conn}:${seq}` });
  } catch (err) {
    // The presence itself went out; its stored messages stay stored (nothing is lost) and are
    // flushed at an initial presence of the account once the queue has room (docs/bounds.md).
    if (!(err instanceof WorkQueueFullError)) throw err;
    ctx.log.warn({ jid: work.jid }, "AMP work queue full; stored messages not flushed now");
  }
}

/**
 * The serialised presence is kept for the session's life (state.presence). As built it is a tree
 * of concatenations (about ten 32-byte nodes) whose leaves include slices that keep the received
 * stanza's whole text alive: about 450 B where one flat copy takes about 130. structuredClone
 * makes that copy whatever the text holds (about 3 µs, once per presence change).
 */
function flat(text: string): string {
  return structuredClone(text);
}
