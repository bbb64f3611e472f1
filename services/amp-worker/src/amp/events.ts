// Sending XEP-0079 events through the outbox: recorded first (AmpStore.record, unique key, claimed
// by us), then sent, then marked sent. A kill in between leaves the row for the relay (timers.ts);
// a redelivered work item records nothing new, so an event is never sent twice by a re-run. A kill
// after the send but before the mark makes the relay send it again: the event's key goes with it
// (deliverTo `once`), so the recipient's session or connection takes it once.
import { parseJid } from "@xmppd/jid";
import { mostAvailable } from "@xmppd/routing";
import type { AmpEvent, RecordedEvent } from "@xmppd/storage";
import type { WorkContext } from "../context.ts";
import { deliverToAny } from "../delivery.ts";
import { drainOwnersOnline } from "../nothing-stored.ts";

/** How long the recorder of an event has to send it before the relay may. */
export const EVENT_CLAIM_MS = 5_000;

export async function emitEvents(ctx: WorkContext, events: AmpEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sendRecorded(ctx, await ctx.amp.record(events, EVENT_CLAIM_MS));
}

export async function sendRecorded(ctx: WorkContext, events: RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  for (const e of events) await deliverEvent(ctx, e);
  await ctx.bus.flush();
  await ctx.amp.markSent(events.map((e) => e.id));
}

/**
 * DP-22: an event goes to the original sender's full JID; if that resource is gone, as RFC 6121
 * §8.5.3.2.1 treats a message to an unavailable full JID: another eligible resource, else the
 * sender's offline queue (XEP-0160 lets AMP errors be stored), `to` left as the full JID.
 */
async function deliverEvent(ctx: WorkContext, e: AmpEvent): Promise<void> {
  const to = parseJid(e.recipient);
  const owner = to.bareString();
  const sessions = await ctx.sessions.get(owner);
  const exact = sessions.find((s) => s.jid === e.recipient);
  const targets = exact ? [exact] : mostAvailable(sessions);
  // Taken by no resource (their XEP-0198 queues at the bound, or the session just ended): stored
  // like an event for an offline sender, never marked sent and lost.
  if (targets.length > 0 && (await deliverToAny(ctx, targets, e.stanza, `amp-event:${e.key}`))) return;
  await storeForSender(ctx, e, owner, to.domain, to.local);
}

async function storeForSender(ctx: WorkContext, e: AmpEvent, owner: string, domain: string, local: string): Promise<void> {
  const { offline } = ctx.config;
  if (!offline.enabled || !local || !(await ctx.users.exists(domain, local))) {
    ctx.log.debug({ to: e.recipient, key: e.key }, "AMP event for an unreachable sender dropped");
    return;
  }
  // Counted like every stored row, since drains release what they deliver (queued.ts).
  await ctx.sessions.addQueued(owner, 1);
  const outcome = await ctx.offline.store(
    { key: `amp-event:${e.key}`, owner, sender: domain, stanza: e.stanza, orderKey: ctx.orderKey(), expiresAt: null, meta: { ampEvent: true } },
    offline.quota,
  );
  if (outcome === "quota") {
    await ctx.sessions.addQueued(owner, -1);
    ctx.log.info({ to: e.recipient, outcome }, "AMP event for an offline sender not stored");
    return;
  }
  if (outcome === "duplicate") await ctx.sessions.addQueued(owner, -1);
  // The sender may have come online since its sessions were read (nothing-stored.ts).
  await drainOwnersOnline(ctx, [owner]);
}
