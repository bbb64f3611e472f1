// XEP-0079 pass E2 (DP-02): before stored messages are delivered, the expire-at rules that came
// due run first, so an expired message is never delivered. A row may come due during a drain:
// the drain stops at it, the pass runs, and the drain goes on.
import type { OfflineMessage } from "@xmppd/storage";
import type { WorkContext } from "../context.ts";
import { expireOwner } from "./expiry.ts";

/** Rounds of expire-then-drain: each round handles every row due at its start. */
const MAX_ROUNDS = 5;

export function isDue(row: Pick<OfflineMessage, "expiresAt">): boolean {
  return row.expiresAt !== null && row.expiresAt.getTime() <= Date.now();
}

/** Runs `drainOnce` after the owner's due expiries, again while it stops at a row that came due. */
export async function drainExpiring(ctx: WorkContext, owner: string, drainOnce: () => Promise<{ n: number; expired: boolean }>): Promise<number> {
  let total = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await expireOwner(ctx, owner);
    const { n, expired } = await drainOnce();
    total += n;
    if (!expired) break;
  }
  return total;
}
