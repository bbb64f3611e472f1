// XEP-0198 requests relayed by a gateway, handled in the connection's envelope order: enable
// (§3), resume (§5), the client's acks (batched by the gateway) and deliveries that reached the
// gateway without a number. See docs/stream-management.md.
import { randomBytes } from "node:crypto";
import type { SmRequest } from "@xmppd/bus";
import type { Jid } from "@xmppd/jid";
import type { SessionRecord } from "@xmppd/storage";
import { SM_ID } from "@xmppd/stanza";
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";
import { checkDelivery, establish, isRefusal, type Refusal } from "./identity.ts";

/**
 * `as` is the identity this router established for the connection (identity.ts actingAs); ack,
 * seq and replay act only on the XEP-0198 session this router attached to it (st.sm).
 */
export async function handleSmRequest(ctx: RouterContext, st: ConnState, as: Jid, req: SmRequest): Promise<Refusal | void> {
  switch (req.op) {
    case "enable":
      return enable(ctx, st, as);
    case "resume":
      return resume(ctx, st, as, req.id, req.h);
    case "ack":
      if (st.sm) await ctx.sm.store.ack(st.sm, req.upTo);
      return;
    case "replay":
      return replay(ctx, st, req.after);
    case "seq": {
      if (!st.sm) return stateLost(ctx, st);
      // Numbered, kept and possibly stored offline at the session's end: only one stanza, so
      // nothing a gateway appends can reach a later stream of the account (invariant 3).
      const checked = checkDelivery(req.xml);
      if (isRefusal(checked)) return checked;
      return ctx.sm.deliver({ gateway: st.gw, conn: st.conn, sm: st.sm }, req.xml);
    }
  }
}

/**
 * Runs as soon as it arrives, not behind the connection's earlier envelopes (router.ts): the
 * gateway holds everything after the gap meanwhile, and a client that just sent hundreds of
 * stanzas would wait for all of them to be routed.
 */
export async function replay(ctx: RouterContext, st: ConnState, after: number): Promise<void> {
  if (!st.sm) return stateLost(ctx, st);
  let through = after;
  for (const item of await ctx.sm.store.unacked(st.sm, after)) {
    sendToGateway(ctx, st.gw, { t: "deliver", conn: st.conn, xml: item.xml, sm: item.seq });
    through = item.seq;
  }
  sendToGateway(ctx, st.gw, { t: "sm", conn: st.conn, op: "replayed", through });
}

/** No session here (it ended): the stream cannot count what it would write. */
function stateLost(ctx: RouterContext, st: ConnState): void {
  sendToGateway(ctx, st.gw, { t: "close", conn: st.conn, condition: "internal-server-error", text: "stream management state lost" });
}

async function enable(ctx: RouterContext, st: ConnState, as: Jid): Promise<void> {
  // §3: after binding a resource, and once.
  if (as.isBare() || st.sm) return failed(ctx, st, "unexpected-request");
  const jid = as.toString();
  const rec = (await ctx.sessions.get(as.bareString())).find((s) => s.jid === jid && s.gateway === st.gw && s.conn === st.conn);
  // §3: the session must exist (bound, not replaced meanwhile).
  if (!rec) return failed(ctx, st, "unexpected-request");
  const id = randomBytes(18).toString("base64url");
  await ctx.sm.store.create({ id, jid, gateway: st.gw, conn: st.conn });
  await rebind(ctx, { ...rec, sm: id });
  st.sm = id;
  ctx.metrics.sm("enabled");
  sendToGateway(ctx, st.gw, { t: "sm", conn: st.conn, op: "enabled", id, max: ctx.config.gateway.streamManagement.resumeTimeoutSeconds });
}

/** `as`: the account this router authenticated on the connection; only its sessions resume here. */
async function resume(ctx: RouterContext, st: ConnState, as: Jid, id: string, h: number): Promise<void> {
  // §5: instead of binding a resource, not after it.
  if (!as.isBare()) return failed(ctx, st, "unexpected-request");
  if (!SM_ID.test(id) || st.sm) return failed(ctx, st, "item-not-found");
  const bare = as.toString();
  const r = await ctx.sm.store.resume(id, bare, h, { gateway: st.gw, conn: st.conn });
  if (!r.ok) {
    // §5: unknown or expired: item-not-found; a client that acknowledges more than it was sent
    // gets the handled count back with undefined-condition.
    ctx.metrics.sm(r.reason === "unknown" ? "resume_unknown" : "resume_failed");
    return r.reason === "unknown" ? failed(ctx, st, "item-not-found") : failed(ctx, st, "undefined-condition", r.handled);
  }
  const old = (await ctx.sessions.get(bare)).find((s) => s.jid === r.jid);
  const rec: SessionRecord = old ? { ...old, gateway: st.gw, conn: st.conn, sm: id } : { jid: r.jid, gateway: st.gw, conn: st.conn, available: false, priority: 0, boundAt: Date.now(), sm: id };
  await rebind(ctx, rec);
  establish(st, r.jid);
  Object.assign(st, { sm: id, available: rec.available, priority: rec.priority, presence: rec.presence, carbons: rec.carbons === true });
  // The old stream may still be open (its client went away without its server noticing).
  if (r.previous && r.previous.conn !== st.conn) {
    sendToGateway(ctx, r.previous.gateway, { t: "close", conn: r.previous.conn, condition: "conflict", text: "session resumed on another stream" });
  }
  ctx.metrics.sm("resumed");
  sendToGateway(ctx, st.gw, { t: "sm", conn: st.conn, op: "resumed", id, jid: r.jid, h: r.handled, acked: r.acked });
  for (const item of r.items) sendToGateway(ctx, st.gw, { t: "deliver", conn: st.conn, xml: item.xml, sm: item.seq });
}

/** Rewrites a session record in place (same full JID), keeping the carbons count right. */
async function rebind(ctx: RouterContext, rec: SessionRecord): Promise<void> {
  const { carbons, ...rest } = rec;
  await ctx.sessions.bind(rest, Number.MAX_SAFE_INTEGER);
  if (carbons) await ctx.sessions.annotate(rec.jid, rec.conn, { carbons: true });
}

function failed(ctx: RouterContext, st: ConnState, condition: string, h?: number): void {
  sendToGateway(ctx, st.gw, { t: "sm", conn: st.conn, op: "failed", condition, ...(h === undefined ? {} : { h }) });
}
