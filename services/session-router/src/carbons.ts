// XEP-0280 in the router: the copies of a routed chat message for the account's other
// carbons-enabled resources, on whatever gateway they are. The recipient's sessions come from
// the routing lookup; the sender's in the same batch when its connection has carbons enabled
// (ConnState), else only its count of carbons-enabled resources, so a message between accounts
// without carbons costs nothing more.
import { carbonCopy, isCarbonEligible, type CarbonsCapability } from "@xmppd/modules";
import { NS_CARBONS } from "@xmppd/stanza";
import { parseElement } from "@xmppd/xml";
import type { RecipientState, SessionRecord } from "@xmppd/storage";
import type { ConnState } from "./connections.ts";
import type { RouterContext } from "./context.ts";
import { bareOf, toSession } from "./presence-delivery.ts";
import { fromElement, type RoutedStanza } from "./routed-stanza.ts";

/**
 * §6: a `received` copy to each carbons-enabled resource of the recipient that did not get the
 * message itself; §7: a `sent` copy to each carbons-enabled resource of the sender but the one
 * that sent it. `recipients` is empty when the message was not delivered (stored offline).
 */
export function sendCarbons(ctx: RouterContext, stanza: RoutedStanza, toBare: string, targets: readonly SessionRecord[], recipients: readonly SessionRecord[], own: readonly SessionRecord[]): void {
  const senderBare = bareOf(stanza.from);
  const skip = new Set([stanza.from, ...targets.map((t) => t.jid)]);
  const received = recipients.filter((s) => s.carbons && !skip.has(s.jid));
  // A message to one's own account: its other resources get it (or a received copy) already.
  const sent = senderBare === toBare ? [] : own.filter((s) => s.carbons && !skip.has(s.jid));
  if (received.length === 0 && sent.length === 0) return;
  if (!isCarbonEligible(stanza.element())) return;
  for (const r of received) toSession(ctx, r, carbonCopy("received", stanza.xml, toBare, r.jid, stanza.type));
  for (const s of sent) toSession(ctx, s, carbonCopy("sent", stanza.xml, senderBare, s.jid, stanza.type));
}

/**
 * The sender's sessions for §7 copies: read in the routing batch when its connection has carbons
 * on (or unknown, after a failover: then learnt here); otherwise read now, a second round trip,
 * only when another of its resources has carbons on (§7: copies go to them "irrespective of
 * whether the sending client has carbons enabled") and the message is eligible.
 */
export async function sentCopyTargets(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, own: RecipientState | null, withOwn: boolean): Promise<readonly SessionRecord[]> {
  if (!own) return [];
  if (withOwn) {
    state.carbons ??= own.sessions.find((s) => s.jid === stanza.from && s.conn === state.conn)?.carbons === true;
    return own.sessions;
  }
  if (own.carbons === 0 || !isCarbonEligible(stanza.element())) return [];
  return (await ctx.lookup(bareOf(stanza.from))).sessions;
}

/**
 * §7 for a message with XEP-0079 rules, delivered by the router (amp-direct.ts) or queued for an
 * AMP worker, which copies only what it delivers (§6): the sender's other resources see what it
 * sent, whatever its rules make of it, as for a message queued offline.
 */
export async function copySentAmp(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, toBare: string, sender: RecipientState): Promise<void> {
  if (bareOf(stanza.from) === toBare) return;
  const own = await sentCopyTargets(ctx, state, stanza, sender, false);
  if (own.length > 0) sendCarbons(ctx, stanza, toBare, [], [], own);
}

/** The module's capability: a flag on the session record (every router sees it) and on the connection. */
export function carbonsCapability(ctx: () => RouterContext, connection: (gw: string, conn: string) => ConnState): CarbonsCapability {
  return {
    async set(full, enabled) {
      const c = ctx();
      const rec = (await c.sessions.get(bareOf(full))).find((s) => s.jid === full);
      if (!rec) return;
      await c.sessions.annotate(full, rec.conn, { carbons: enabled });
      connection(rec.gateway, rec.conn).carbons = enabled;
    },
  };
}

/**
 * §7.1: the receiving server SHOULD remove <private/> before delivering; a cheap test first. A
 * copy is changed: the original still says, for the carbons decision, that it was private.
 */
export function withoutPrivate(stanza: RoutedStanza): RoutedStanza {
  if (!stanza.xml.includes(NS_CARBONS)) return stanza;
  const el = parseElement(stanza.xml);
  const mark = el.getChild("private", NS_CARBONS);
  if (!mark) return stanza;
  el.remove(mark);
  return fromElement(el);
}
