// What a resumable session never acknowledged when it ends (timeout, replacement, unclean end):
// XEP-0198 §5 / RFC 6120 §10.5: undeliverable. Messages take the offline path of the durable
// AMP work queue (stored, or bounced per RFC 6121 by the worker); carbon copies, presence and
// IQs are not stored (a presence is stale once the session is gone; see docs); each of those is
// counted as outcome "dropped" (docs/bounds.md).
import { encode, type AmpWork } from "@xmppd/bus";
import { tryParseJid } from "@xmppd/jid";
import { normalType } from "@xmppd/routing";
import { NS_CARBONS } from "@xmppd/stanza";
import type { SmQueued } from "@xmppd/storage";
import { parseElement, type Element } from "@xmppd/xml";
import type { RouterContext } from "./context.ts";

/** `owner`: the bare JID every message must be addressed to (what a gateway sent back, returned.ts). */
export async function undeliverable(ctx: RouterContext, id: string, items: readonly SmQueued[], owner?: string): Promise<number> {
  let stored = 0;
  for (const item of items) {
    const el = messageOf(item.xml);
    const to = el ? tryParseJid(String(el.attrs.to ?? "")) : null;
    if (!el || !to || typeof el.attrs.from !== "string") {
      ctx.metrics.outcome("dropped", `unacked-${KIND.exec(item.xml)?.[1] ?? "other"}`);
      continue;
    }
    const bare = to.bareString();
    if (owner !== undefined && bare !== owner) {
      ctx.metrics.refused("jid-mismatch");
      continue;
    }
    const type = normalType(el.attrs.type as string | undefined);
    // Counted like the router's own offline path: the worker releases each exactly once.
    const counted = type === "chat" || type === "normal";
    if (counted) await ctx.sessions.addQueued(bare, 1);
    const key = `sm:${id}:${item.seq}`;
    const work: AmpWork = { t: "message", key, order: ctx.order(), to: to.toString(), from: el.attrs.from, xml: item.xml, acceptedAt: Date.now() };
    // msgId: a router that dies midway and a second one that ends the session again store it once.
    await ctx.work.publish(ctx.ampQueue.subject("message", bare), encode(work), { msgId: key });
    stored += 1;
  }
  return stored;
}

/** presence, iq, or message (an error or a carbon copy). */
const KIND = /^<(message|presence|iq)\b/;

function messageOf(xml: string): Element | null {
  if (!xml.startsWith("<message")) return null;
  try {
    const el = parseElement(xml);
    if (el.attrs.type === "error") return null;
    // XEP-0280 copies: the original went to (or is stored for) its own recipient.
    return el.getChild("received", NS_CARBONS) || el.getChild("sent", NS_CARBONS) ? null : el;
  } catch {
    return null;
  }
}
