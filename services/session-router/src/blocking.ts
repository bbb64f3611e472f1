// XEP-0191 enforcement. An account's block list is cached in the session store beside its
// sessions and read in the same round trip (SessionLookup); Postgres (BlockStore) is the source
// of truth. A change writes Postgres, then the whole list at its new version into the cache; a
// missing copy (first use, expiry, or a Redis restart that lost it) is loaded from Postgres on
// the first stanza that needs it. Copies are replaced only by newer versions, so a loader holding
// an old read never overwrites a newer write-through, and the cache is correct after a restart.
import type { Jid } from "@xmppd/jid";
import { blockingCore } from "@xmppd/modules";
import { NS_BLOCKING_ERRORS, errorReply } from "@xmppd/stanza";
import { BLOCKLIST_CACHE_TTL_MS } from "@xmppd/storage";
import { xml } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { replyTo, type RouterContext } from "./context.ts";
import { bounce, type Routed, type StanzaKind } from "./replies.ts";
import type { RoutedStanza } from "./routed-stanza.ts";

/** The account's block list: the cached copy a lookup returned, else loaded and cached. */
export async function blocklistOf(ctx: RouterContext, bare: string, cached: string[] | null): Promise<string[]> {
  if (cached) return cached;
  if (!ctx.blocklists) return [];
  const list = await ctx.blocklists.get(bare);
  await ctx.sessions.cacheBlocklist(bare, list, BLOCKLIST_CACHE_TTL_MS);
  return list.jids;
}

/** "outbound": the sender blocked the recipient; "inbound": the recipient blocked the sender. */
export type BlockVerdict = "none" | "outbound" | "inbound";

/** From both lists: the sender's (`mine`) and the recipient's (`theirs`). */
export function verdictOf(senderFull: string, mine: readonly string[], to: Jid, theirs: readonly string[]): BlockVerdict {
  // The common case, nobody blocks anybody: no JID is even looked at.
  if (mine.length === 0 && theirs.length === 0) return "none";
  if (senderFull.startsWith(`${to.bareString()}/`)) return "none";
  if (blockingCore.isBlocked(mine, to.toString())) return "outbound";
  if (blockingCore.isBlocked(theirs, senderFull)) return "inbound";
  return "none";
}

/** As verdictOf, loading a list that is not cached (null) first. */
export async function blockVerdict(
  ctx: RouterContext, senderFull: string, senderList: string[] | null, to: Jid, recipientList: string[] | null,
): Promise<BlockVerdict> {
  if (!ctx.blocklists) return "none";
  const slash = senderFull.indexOf("/");
  const senderBare = slash < 0 ? senderFull : senderFull.slice(0, slash);
  const mine = senderList ?? (await blocklistOf(ctx, senderBare, null));
  const theirs = recipientList ?? (await blocklistOf(ctx, to.bareString(), null));
  return verdictOf(senderFull, mine, to, theirs);
}

/** Both accounts' lists in one batched lookup (the presence paths; messages get them with the sessions). */
export async function verdictFor(ctx: RouterContext, senderFull: string, to: Jid): Promise<BlockVerdict> {
  if (!ctx.blocklists) return "none";
  const [own, theirs] = await Promise.all([ctx.lookup(senderFull.split("/")[0]!, true), ctx.lookup(to.bareString(), true)]);
  return blockVerdict(ctx, senderFull, own.blocked, to, theirs.blocked);
}

/** XEP-0191 §5.3: what happens to a stanza between blocked parties. */
export function refuseBlocked(ctx: RouterContext, state: ConnState, stanza: RoutedStanza, kind: StanzaKind, verdict: Exclude<BlockVerdict, "none">): Routed {
  if (verdict === "outbound") {
    // The user's own stanza to a JID it blocked: not-acceptable with <blocked/>, never routed.
    const reply = errorReply(stanza.element(), "not-acceptable", { type: "cancel" });
    reply?.getChild("error")?.append(xml("blocked", { xmlns: NS_BLOCKING_ERRORS }));
    replyTo(ctx, state, reply);
    return "error";
  }
  // From a blocked contact: presence (notifications, subscriptions, probes) vanishes without an
  // answer; messages and IQ get/set get service-unavailable, as if the user were offline;
  // other IQs are dropped.
  const type = stanza.type ?? "";
  if (kind === "presence") return "ignore";
  if (kind === "iq" && type !== "get" && type !== "set") return "ignore";
  return bounce(ctx, state, stanza.element(), "service-unavailable");
}
