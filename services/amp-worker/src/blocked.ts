// XEP-0191 for stored messages: a contact the account blocked after its message was stored is
// blocked when that message would be delivered too. The message is answered as the router answers
// a live one from a blocked contact (§3.4: service-unavailable, as if the user were offline) and
// leaves storage. AMP events stored for their sender come from the server and are never blocked.
import { blockingCore } from "@xmppd/modules";
import { parseElement } from "@xmppd/xml";
import { BLOCKLIST_CACHE_TTL_MS, type OfflineMessage, type RecipientState } from "@xmppd/storage";
import { bounce } from "./bounce.ts";
import { liveOnce } from "./delivery.ts";
import type { WorkContext } from "./context.ts";
import { isStoredEvent } from "./amp/stored-rules.ts";
import { releaseQueued } from "./queued.ts";

/**
 * Whether a stored row's sender is on the owner's block list; read once per drain, or taken from
 * `state` when the caller has just looked the owner up.
 */
export async function blockedSenders(ctx: WorkContext, owner: string, state?: Pick<RecipientState, "blocked">): Promise<(row: OfflineMessage) => boolean> {
  if (!ctx.blocks) return () => false;
  // The routers keep a copy beside the sessions; Postgres has the list when none is cached, and
  // what it says is cached as the routers do (a newer copy is never replaced by an older one).
  const cached = state ? state.blocked : (await ctx.sessions.lookup([owner])).get(owner)?.blocked;
  const list = cached ?? (await loadBlocklist(ctx, ctx.blocks, owner));
  if (list.length === 0) return () => false;
  return (row) => !isStoredEvent(row.meta) && blockingCore.isBlocked(list, row.sender);
}

async function loadBlocklist(ctx: WorkContext, blocks: NonNullable<WorkContext["blocks"]>, owner: string): Promise<string[]> {
  const stored = await blocks.get(owner);
  await ctx.sessions.cacheBlocklist(owner, stored, BLOCKLIST_CACHE_TTL_MS);
  return stored.jids;
}

/** Answers a stored message from a blocked contact; the caller deletes its row. */
export async function refuseBlocked(ctx: WorkContext, row: OfflineMessage): Promise<void> {
  let stanza;
  try {
    stanza = parseElement(row.stanza);
  } catch {
    return; // It can be neither delivered nor answered; the row goes.
  }
  await bounce(ctx, { stanza, condition: "service-unavailable", from: row.owner, to: row.sender, reason: "blocked", once: liveOnce(row, "bounce") });
}

/** For XEP-0013 requests: answers and deletes the listed rows from blocked senders; returns the others. */
export async function withoutBlocked<R extends OfflineMessage & { id: string }>(ctx: WorkContext, owner: string, rows: R[]): Promise<R[]> {
  const blocked = await blockedSenders(ctx, owner);
  const refused = rows.filter(blocked);
  if (refused.length === 0) return rows;
  for (const row of refused) await refuseBlocked(ctx, row);
  await releaseQueued(ctx, owner, await ctx.offline.delete(refused.map((row) => row.id)));
  return rows.filter((row) => !refused.includes(row));
}
