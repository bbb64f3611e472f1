// Presence fan-out: one session lookup per batch of accounts, then one publish per available
// resource (RFC 6121 §8.5.2.1.2: presence goes to every available resource, whatever its priority).
import { NS_CLIENT } from "@xmppd/stanza";
import type { RecipientState, SessionRecord } from "@xmppd/storage";
import { parseElement, xml, type Element } from "@xmppd/xml";
import { blockingCore } from "@xmppd/modules";
import { blocklistOf } from "./blocking.ts";
import { deliverTo, type RouterContext } from "./context.ts";

/** Accounts looked up in one store call (roster broadcasts of big rosters go in slices). */
export const BATCH = 256;

export function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return slash < 0 ? jid : jid.slice(0, slash);
}

/** Only accounts of served domains: there is no server-to-server, remote contacts get nothing. */
export function isLocal(ctx: RouterContext, bare: string): boolean {
  return ctx.domains.has(bare.slice(bare.indexOf("@") + 1));
}

export function toSession(ctx: RouterContext, rec: Pick<SessionRecord, "gateway" | "conn" | "sm">, el: Element): void {
  deliverTo(ctx, rec, el.toString());
}

/**
 * Sends `el` to every available resource of each local account, addressed to its bare JID.
 * XEP-0191 §5.3: not to an account that blocked the stanza's sender or that the sender blocked
 * (the lists come with the sessions), unless `unfiltered` (the unavailable a block itself sends).
 */
export async function toAvailable(
  ctx: RouterContext, bares: readonly string[], el: Element,
  opts: { unfiltered?: boolean; found?: ReadonlyMap<string, RecipientState> } = {},
): Promise<void> {
  const local = [...new Set(bares)].filter((b) => isLocal(ctx, b));
  const from = el.attrs.from as string | undefined;
  const fromBare = from === undefined ? "" : bareOf(from);
  const filtered = ctx.blocklists !== null && !opts.unfiltered && from !== undefined && isLocal(ctx, fromBare);
  const senderList = filtered ? await blocklistOf(ctx, fromBare, (await ctx.lookup(fromBare, true)).blocked) : [];
  for (let i = 0; i < local.length; i += BATCH) {
    const slice = local.slice(i, i + BATCH);
    // A lookup the caller just made for these accounts (initial presence) is used as it is.
    const found = opts.found && slice.every((b) => opts.found!.has(b)) ? opts.found : await ctx.sessions.lookup(slice);
    for (const bare of slice) {
      const state = found.get(bare);
      const targets = (state?.sessions ?? []).filter((s) => s.available);
      if (targets.length === 0) continue;
      // Checked only for accounts someone would get it at (an offline one's list is not loaded).
      if (filtered && bare !== fromBare) {
        if (blockingCore.isBlocked(senderList, bare)) continue;
        if (blockingCore.isBlocked(await blocklistOf(ctx, bare, state?.blocked ?? null), from!)) continue;
      }
      el.attrs.to = bare;
      const text = el.toString();
      for (const t of targets) deliverTo(ctx, t, text);
    }
  }
}

/** Sends `el` to one JID: a bare JID's available resources, or one full JID's session (RFC 6121 §8.5). */
export async function toJid(ctx: RouterContext, jid: string, el: Element): Promise<void> {
  const bare = bareOf(jid);
  if (bare === jid) return toAvailable(ctx, [bare], el);
  if (!isLocal(ctx, bare)) return;
  const rec = (await ctx.sessions.get(bare)).find((s) => s.jid === jid);
  el.attrs.to = jid;
  if (rec) toSession(ctx, rec, el);
}

/** The last available presence of each available resource, stamped from that resource (§4.3.2). */
export function presencesOf(sessions: readonly SessionRecord[]): Element[] {
  const out: Element[] = [];
  for (const s of sessions) {
    if (!s.available) continue;
    let el: Element;
    try {
      el = s.presence ? parseElement(s.presence) : xml("presence", { xmlns: NS_CLIENT });
    } catch {
      el = xml("presence", { xmlns: NS_CLIENT });
    }
    el.attrs.from = s.jid;
    delete el.attrs.to;
    delete el.attrs.id;
    out.push(el);
  }
  return out;
}

/** RFC 6121 §4.5.2: the unavailable presence of each available resource of `sessions`. */
export function unavailablesOf(sessions: readonly SessionRecord[]): Element[] {
  return sessions.filter((s) => s.available).map((s) => xml("presence", { xmlns: NS_CLIENT, type: "unavailable", from: s.jid }));
}
