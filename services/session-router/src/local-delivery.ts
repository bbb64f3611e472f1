// Stanzas for a local account: one batched lookup (sessions, queued count and block list of the
// recipient; the sender's block list and carbons count, or its sessions when its connection has
// carbons on), XEP-0191 enforcement, the RFC 6121 §8.5 decision, then one publish per target
// gateway (and XEP-0280 copies), or the durable offline queue.
import { encode, type AmpWork } from "@xmppd/bus";
import type { Jid } from "@xmppd/jid";
import { decide, normalType } from "@xmppd/routing";
import type { SessionRecord } from "@xmppd/storage";
import { blockVerdict, refuseBlocked, verdictOf } from "./blocking.ts";
import { sendCarbons, sentCopyTargets, withoutPrivate } from "./carbons.ts";
import type { ConnState } from "./connections.ts";
import { deliverTo, type RouterContext } from "./context.ts";
import { bareOf } from "./presence-delivery.ts";
import { answerIq, bounce, type Routed, type StanzaKind } from "./replies.ts";
import type { RoutedStanza } from "./routed-stanza.ts";

export async function deliverLocal(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, kind: StanzaKind, to: Jid, seq: number): Promise<Routed> {
  const toBare = to.bareString();
  const senderBare = bareOf(stanza.from);
  const self = senderBare === toBare;
  // The sender's block list (XEP-0191) and carbons count (XEP-0280 §7) come in the same batch,
  // or its whole sessions when its own connection has carbons on: one round trip either way.
  const withOwn = kind === "message" && !self && state.carbons !== false;
  const ownRead = !self && (kind === "message" || ctx.blocklists) ? ctx.lookup(senderBare, !withOwn) : null;
  // Should the recipient's read fail first (Redis away), this one's failure is not left unhandled.
  ownRead?.catch(() => {});
  const { sessions, queued, blocked } = await ctx.lookup(toBare);
  const own = ownRead ? await ownRead : null;
  if (ctx.blocklists && !self) {
    // Both lists cached (the rule after login): decided without another await.
    const mine = own?.blocked ?? null;
    const verdict = mine && blocked ? verdictOf(stanza.from, mine, to, blocked) : await blockVerdict(ctx, stanza.from, mine, to, blocked);
    if (verdict !== "none") return refuseBlocked(ctx, state, stanza, kind, verdict);
  }
  const ownSessions = kind === "message" ? await sentCopyTargets(ctx, state, stanza, own, withOwn) : [];
  const type = stanza.type ?? "";
  const decision = decide(kind, type, to, sessions);
  switch (decision.action) {
    case "deliver": {
      // Invariant 2: earlier chat/normal messages for this account are still on the offline
      // path; delivered now, this one would overtake them, so it lines up behind them.
      // Not while a resource retrieves stored messages flexibly (XEP-0013 §2.2): they wait for
      // its requests, and in-session messages are delivered as usual.
      if (queued > 0 && isQueueable(kind, type) && ctx.config.offline.enabled && !sessions.some((s) => s.flexOffline)) return storeOffline(ctx, state, stanza, to, seq, ownSessions);
      const text = kind === "message" ? withoutPrivate(stanza).xml : stanza.xml;
      for (const t of decision.targets) deliverTo(ctx, t, text);
      if (kind === "message") sendCarbons(ctx, stanza, toBare, decision.targets, sessions, ownSessions);
      return "deliver";
    }
    case "offline":
      return storeOffline(ctx, state, stanza, to, seq, ownSessions);
    case "error":
      return bounce(ctx, state, stanza.element(), decision.condition, toBare);
    case "server":
      // RFC 6121 §8.5.2.1.3: the server answers an IQ to a bare JID on the account's behalf.
      return answerIq(ctx, state, stanza.element(), toBare, false);
    case "ignore":
      return "ignore";
  }
}

/** The only messages decide() ever sends offline (RFC 6121 §8.5.2.2.1, §8.5.3.2.1), hence the only ones counted as queued. */
function isQueueable(kind: StanzaKind, type: string): boolean {
  const t = normalType(type);
  return kind === "message" && (t === "chat" || t === "normal");
}

async function storeOffline(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, to: Jid, seq: number, own: readonly SessionRecord[]): Promise<Routed> {
  // RFC 6121 §8.5.2.2.1 option (b): without offline storage, tell the sender.
  if (!ctx.config.offline.enabled) return bounce(ctx, state, stanza.element(), "service-unavailable", to.bareString());
  await enqueueMessage(ctx, state, stanza, to, seq, false);
  // XEP-0280 §7: the sender's other resources see what it sent, delivered now or later.
  if (own.length > 0) sendCarbons(ctx, stanza, to.bareString(), [], [], own);
  return "offline";
}

/**
 * Puts a message on the durable AMP work queue: for storage (offline path) or, with `amp`, for
 * XEP-0079 evaluation. Chat and normal messages are counted as queued for the account, so that
 * later ones line up behind them (invariant 2); the worker releases each exactly once.
 */
export async function enqueueMessage(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, to: Jid, seq: number, amp: boolean): Promise<void> {
  const key = `${state.gw}:${state.conn}:${seq}`;
  const work: AmpWork = {
    t: "message",
    key,
    order: ctx.order(),
    to: to.toString(),
    from: stanza.from,
    xml: stanza.xml,
    acceptedAt: Date.now(),
    ...(amp ? { amp: true as const } : {}),
  };
  const bare = to.bareString();
  const counted = isQueueable("message", stanza.type ?? "");
  // Counted before it is queued: a later message that reads the count must see this one.
  if (counted) await ctx.sessions.addQueued(bare, 1);
  try {
    // The seq is acknowledged only after this resolves: the message is then durably stored, so
    // the gateway may acknowledge it to the client (invariant 1). msgId makes a resend harmless.
    await ctx.work.publish(ctx.ampQueue.subject("message", bare), encode(work), { msgId: key });
  } catch (err) {
    // Not queued after all. Should this fail too, the count stays high: messages then take the
    // queue path (slower, still in order) until it expires.
    if (counted) await ctx.sessions.addQueued(bare, -1).catch((e: unknown) => ctx.log.warn({ err: e, to: bare }, "queued count not restored"));
    throw err;
  }
}
