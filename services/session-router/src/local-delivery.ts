// Stanzas for a local account: one batched lookup (sessions and queued count), the RFC 6121 §8.5
// decision, then one publish per target gateway, or the durable offline queue.
import { encode, type AmpWork } from "@xmppd/bus";
import type { Jid } from "@xmppd/jid";
import { decide, normalType } from "@xmppd/routing";
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";
import { answerIq, bounce, type Routed, type StanzaKind } from "./replies.ts";
import type { RoutedStanza } from "./routed-stanza.ts";

export async function deliverLocal(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, kind: StanzaKind, to: Jid, seq: number): Promise<Routed> {
  const { sessions, queued } = await ctx.lookup(to.bareString());
  const type = stanza.type ?? "";
  const decision = decide(kind, type, to, sessions);
  switch (decision.action) {
    case "deliver": {
      // Invariant 2: earlier chat/normal messages for this account are still on the offline
      // path; delivered now, this one would overtake them, so it lines up behind them.
      if (queued > 0 && isQueueable(kind, type) && ctx.config.offline.enabled) return storeOffline(ctx, state, stanza, to, seq);
      const text = stanza.xml;
      for (const t of decision.targets) sendToGateway(ctx, t.gateway, { t: "deliver", conn: t.conn, xml: text });
      return "deliver";
    }
    case "offline":
      return storeOffline(ctx, state, stanza, to, seq);
    case "error":
      return bounce(ctx, state, stanza.element(), decision.condition, to.bareString());
    case "server":
      // RFC 6121 §8.5.2.1.3: the server answers an IQ to a bare JID on the account's behalf.
      return answerIq(ctx, state, stanza.element(), to.bareString(), false);
    case "ignore":
      return "ignore";
  }
}

/** The only messages decide() ever sends offline (RFC 6121 §8.5.2.2.1, §8.5.3.2.1), hence the only ones counted as queued. */
function isQueueable(kind: StanzaKind, type: string): boolean {
  const t = normalType(type);
  return kind === "message" && (t === "chat" || t === "normal");
}

async function storeOffline(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, to: Jid, seq: number): Promise<Routed> {
  // RFC 6121 §8.5.2.2.1 option (b): without offline storage, tell the sender.
  if (!ctx.config.offline.enabled) return bounce(ctx, state, stanza.element(), "service-unavailable", to.bareString());
  const key = `${state.gw}:${state.conn}:${seq}`;
  const work: AmpWork = {
    t: "message",
    key,
    order: ctx.order(),
    to: to.toString(),
    from: stanza.from,
    xml: stanza.xml,
    acceptedAt: Date.now(),
  };
  const bare = to.bareString();
  // Counted before it is queued: a later message that reads the count must see this one.
  await ctx.sessions.addQueued(bare, 1);
  try {
    // The seq is acknowledged only after this resolves: the message is then durably stored, so
    // the gateway may acknowledge it to the client (invariant 1). msgId makes a resend harmless.
    await ctx.work.publish(ctx.subjects.ampWork("message"), encode(work), { msgId: key });
  } catch (err) {
    // Not queued after all. Should this fail too, the count stays high: messages then take the
    // queue path (slower, still in order) until it expires.
    await ctx.sessions.addQueued(bare, -1).catch((e: unknown) => ctx.log.warn({ err: e, to: bare }, "queued count not restored"));
    throw err;
  }
  return "offline";
}
