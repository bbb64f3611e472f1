// The account's queued count (SessionStore.addQueued) from the worker's side: every chat/normal
// message the router put on the offline path is released exactly once, when it is delivered
// from storage, found to be a duplicate, delivered directly or bounced.
import type { WorkContext } from "./context.ts";

/**
 * Best effort: a failed decrement only leaves the count too high, so later messages keep taking
 * the queue path (slower, still in order) until it expires. Failing the work instead would
 * redeliver it, and a redelivered message whose row was already drained is stored again.
 */
export async function releaseQueued(ctx: WorkContext, owner: string, n: number): Promise<void> {
  if (n <= 0) return;
  try {
    await ctx.sessions.addQueued(owner, -n);
  } catch (err) {
    ctx.log.warn({ err, owner, n }, "queued count not decremented");
  }
}
