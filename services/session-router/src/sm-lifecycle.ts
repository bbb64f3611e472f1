// The end of a resumable session (XEP-0198 §5, docs/stream-management.md). A stream lost without
// a clean close, or a dead gateway, only detaches the session: it stays bound and available and
// keeps queueing. It ends on a clean close, on replacement, or when the resumption timeout passes:
// then its unacknowledged messages take the undeliverable path and contacts see it unavailable.
import type { SessionRecord } from "@xmppd/storage";
import type { ConnState } from "./connections.ts";
import type { RouterContext } from "./context.ts";
import { sessionGone } from "./presence-broadcast.ts";
import { undeliverable } from "./sm-undeliverable.ts";

/** How long one router may take to end a session before another may try again. */
const LEASE_MS = 60_000;
const SWEEP_BATCH = 100;

const deadline = (ctx: RouterContext) => Date.now() + ctx.config.gateway.streamManagement.resumeTimeoutSeconds * 1000;

/** The "closed" envelope of a connection with a resumable session. */
export async function smClosed(ctx: RouterContext, st: ConnState, resumable: boolean): Promise<void> {
  const id = st.sm!;
  // Already detached (its gateway was declared dead) or resumed elsewhere: nothing to do.
  if (resumable) return void ((await ctx.sm.store.detach(id, st.conn, deadline(ctx))) && ctx.metrics.sm("detached"));
  await end(ctx, id, st.conn, true);
}

/** A new bind took the resource (RFC 6120 §7.7.2.2): the replaced session's own end follows from its close. */
export async function smReplaced(ctx: RouterContext, old: SessionRecord): Promise<void> {
  if (old.sm) await end(ctx, old.sm, null, false);
}

/** A gateway's heartbeat lapsed: its resumable sessions wait for their clients instead of ending. */
export async function smGatewayGone(ctx: RouterContext, gw: string): Promise<void> {
  const ids = await ctx.sm.store.detachGateway(gw, deadline(ctx));
  if (ids.length > 0) ctx.log.info({ gw, sessions: ids.length }, "resumable sessions of a dead gateway wait for resumption");
}

/** Ends the sessions whose resumption timeout passed (or whose ender died); any router may run it. */
export async function smSweep(ctx: RouterContext): Promise<void> {
  for (const id of await ctx.sm.store.claimDue(Date.now(), Date.now() + LEASE_MS, SWEEP_BATCH)) {
    ctx.metrics.sm("expired");
    await end(ctx, id, null, true);
  }
}

/** conn: end only while attached to it; null: a detached one (or one whose ender died). */
async function end(ctx: RouterContext, id: string, conn: string | null, unbind: boolean): Promise<void> {
  const ended = (await ctx.sm.store.end(id, conn, Date.now() + LEASE_MS)) ?? (conn === null ? null : await ctx.sm.store.end(id, null, Date.now() + LEASE_MS));
  if (!ended) return;
  if (unbind) {
    const removed = await ctx.sessions.unbind(ended.jid, ended.conn);
    // RFC 6121 §4.5.2: now, not when the connection went, the contacts see it unavailable.
    if (removed) await sessionGone(ctx, removed);
  }
  const stored = await undeliverable(ctx, id, ended.items);
  await ctx.sm.store.remove(id);
  ctx.log.debug({ jid: ended.jid, unacked: ended.items.length, stored }, "XEP-0198 session ended");
}
