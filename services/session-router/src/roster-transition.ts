// One step of the subscription state machine applied to a stored roster item, with the roster
// push it causes (RFC 6121 §3: every change of subscription state is pushed). Two routers may
// change one account's roster at once (the account's own answer and a contact's request), so
// the write is conditional on the roster version it read, and retried.
import { ROSTER_LIMITS, itemElement, rosterPush, subscriptions } from "@xmppd/modules";
import type { RosterItem } from "@xmppd/storage";
import type { RouterContext } from "./context.ts";
import { pushToInterested } from "./roster-capabilities.ts";

type SubState = subscriptions.SubState;

export interface Transition<T> {
  result: T;
  before: SubState;
  after: SubState;
  /** The roster is full (ROSTER_LIMITS.items) and the step would have added an item: nothing changed. */
  full: boolean;
}

const ATTEMPTS = 5;

export async function transition<T extends { next: SubState }>(
  ctx: RouterContext, owner: string, contact: string, step: (s: SubState) => T, pendingInStanza: string | null = null,
): Promise<Transition<T>> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { version, items } = await ctx.rosters.get(owner);
    const item = items.find((i) => i.jid === contact) ?? null;
    const before = subscriptions.stateOf(item);
    const result = step(before);
    const after = result.next;
    if (subscriptions.sameState(before, after)) return { result, before, after, full: false };
    if (!item && items.length >= ROSTER_LIMITS.items) return { result, before, after: before, full: true };
    const wasVisible = item !== null && subscriptions.isVisible(item);
    const next = subscriptions.applyState(contact, item, after, pendingInStanza);
    // An item the account never saw that is back to no state at all is forgotten, not shown.
    if (!wasVisible && isBlank(next)) {
      if (item) await ctx.rosters.remove(owner, contact);
      return { result, before, after, full: false };
    }
    const written = await ctx.rosters.upsert(owner, next, { ifVersion: version });
    if (!written.changed && written.version !== version) continue; // someone else wrote first
    // Only what the client sees is pushed: a pending inbound request alone changes nothing there.
    if (written.changed && subscriptions.isVisible(next) && !(wasVisible && sameForClient(item, next))) {
      await pushRoster(ctx, owner, next, written.version);
    }
    return { result, before, after, full: false };
  }
  throw new Error(`roster of ${owner} kept changing under a subscription update`);
}

function sameForClient(a: RosterItem | null, b: RosterItem): boolean {
  return a !== null && itemElement(a).toString() === itemElement(b).toString();
}

function isBlank(item: RosterItem): boolean {
  return item.subscription === "none" && !item.ask && !item.pendingIn && !item.approved && item.name === null && item.groups.length === 0;
}

/** RFC 6121 §2.1.6: a roster push to the owner's interested resources. */
export async function pushRoster(ctx: RouterContext, owner: string, item: RosterItem, version: number): Promise<void> {
  await pushToInterested(ctx, owner, rosterPush(item, version));
}
