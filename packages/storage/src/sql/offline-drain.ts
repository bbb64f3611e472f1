// OfflineStore.drain: hand an owner's stored messages on, oldest first, and delete exactly the
// ones handed on, in one transaction under the owner's lock (see OWNER_LOCK). Two workers
// draining one owner therefore take turns: the second reads only what the first left behind.
import type { OfflineMessage, OwnerLockHooks, SqlClient } from "../types.ts";
import { DELETE_IDS, OWNER_LOCK, SELECT_OLDEST, toMessage, type OfflineRow } from "./offline-rows.ts";

export type Deliver = (rows: (OfflineMessage & { id: string })[]) => Promise<string[]>;

export const DEFAULT_DRAIN_PAGE = 50;

export async function drainOwner(sql: SqlClient, owner: string, deliver: Deliver, pageSize = DEFAULT_DRAIN_PAGE, hooks?: OwnerLockHooks): Promise<number> {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`drain: pageSize must be a positive integer, got ${pageSize}`);
  return sql.transaction(async (tx) => {
    // A statement of its own, so the reads below see every store committed before we got it.
    await tx.query(OWNER_LOCK, [owner]);
    let deleted = 0;
    for (;;) {
      const page = (await tx.query<OfflineRow>(SELECT_OLDEST, [owner, pageSize])).rows.map(toMessage);
      if (page.length === 0) {
        // Nothing stored at all (a later page never starts empty: a short page ends the drain).
        if (deleted === 0) await hooks?.whenNoneStored?.(owner);
        return deleted;
      }
      const handed = new Set(await deliver(page));
      // Only this page's ids: whatever else deliver returns is not ours to delete.
      const ids = page.filter((row) => handed.has(row.id)).map((row) => row.id);
      if (ids.length > 0) deleted += (await tx.query(DELETE_IDS, [ids])).rowCount;
      // A row left behind keeps its place: nothing after it may overtake it (invariant 2).
      if (ids.length < page.length || page.length < pageSize) return deleted;
    }
  });
}
