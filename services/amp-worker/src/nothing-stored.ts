// The accounts' "nothing stored" marks (SessionStore.nothingStored), which let a router skip the
// flush at initial presence: set when a flush finds no row, cleared before anything is stored,
// both with the owner's lock held (OwnerLockHooks), so a mark and a row never exist together
// once the store commits. A router that read a mark just before a store cleared it has already
// made the session available, so the re-read after the commit (drainOwnersOnline) finds it and
// drains: a row stored for an account that came online is never left waiting for the next login.
import { mostAvailable } from "@xmppd/routing";
import type { OfflineStore, SessionStore } from "@xmppd/storage";
import type { WorkContext } from "./context.ts";
import { drainToSessions } from "./drain.ts";

/** Every store through this one clears the owners' marks first. */
export function clearingMarks(offline: OfflineStore, sessions: Pick<SessionStore, "clearNothingStored">): OfflineStore {
  const beforeStore = (owners: readonly string[]) => sessions.clearNothingStored(owners);
  return {
    ...offline,
    store: (msg, quota, hooks) => offline.store(msg, quota, { ...hooks, beforeStore }),
    storeMany: (msgs, quota, hooks) => offline.storeMany(msgs, quota, { ...hooks, beforeStore }),
  };
}

/**
 * After rows for `owners` were stored (or found stored): drains each owner that has a resource
 * to take them now. One session read for all; most owners are offline and cost nothing more.
 */
export async function drainOwnersOnline(ctx: WorkContext, owners: readonly string[]): Promise<void> {
  if (owners.length === 0) return;
  const sessions = await ctx.sessions.getMany([...new Set(owners)]);
  for (const [owner, list] of sessions) if (mostAvailable(list).length > 0) await drainToSessions(ctx, owner);
}
