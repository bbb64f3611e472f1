// XEP-0079 pass E2 (DP-02): an expired message is never delivered. The drain stops at the first
// row whose expire-at came due (before or during it); the pass then runs for every due row of the
// owner and the drain goes on. Most drains meet no due row and pay for no pass.
import type { OfflineMessage } from "@xmppd/storage";
import type { WorkContext } from "../context.ts";
import { expireOwner } from "./expiry.ts";

/** Rounds of expire-then-drain: each round handles every row due at its start. */
const MAX_ROUNDS = 5;

export function isDue(row: Pick<OfflineMessage, "expiresAt">): boolean {
  return row.expiresAt !== null && row.expiresAt.getTime() <= Date.now();
}

/** Runs `drainOnce`, and the owner's due expiries then `drainOnce` again while it stops at a due row. */
export async function drainExpiring(ctx: WorkContext, owner: string, drainOnce: () => Promise<{ n: number; expired: boolean }>): Promise<number> {
  let { n: total, expired } = await drainOnce();
  for (let round = 1; expired && round < MAX_ROUNDS; round++) {
    await expireOwner(ctx, owner);
    const next = await drainOnce();
    total += next.n;
    expired = next.expired;
  }
  return total;
}
