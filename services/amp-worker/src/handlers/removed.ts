// A cancelled account (XEP-0077 §3.2, or the admin CLI): its stored messages, expiry timers and
// events stored for it go with it, so that nothing of it is kept and nothing reaches a new account
// of the same name. The work comes on the account's partition, after everything queued for it.
import type { AmpWork } from "@xmppd/bus";
import type { Outcome, WorkContext } from "../context.ts";
import { releaseQueued } from "../queued.ts";

type RemovedWork = Extract<AmpWork, { t: "removed" }>;

export async function handleRemoved(work: RemovedWork, ctx: WorkContext): Promise<Outcome> {
  const n = await ctx.amp.purge(work.jid);
  await releaseQueued(ctx, work.jid, n);
  if (n > 0) ctx.log.info({ account: work.jid, deleted: n }, "stored messages of a cancelled account deleted");
  return n > 0 ? "purged" : "nothing";
}
