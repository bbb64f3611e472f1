// A message the router put on the work queue. Chat and normal messages were counted as queued
// for their account (SessionStore.addQueued): they are stored and then drained in order to the
// resources available now, so that one which waited here is never overtaken by a later one
// (invariant 2); each is released from the count exactly once. Other types are routed again on
// fresh state. The work is acknowledged only after the deliveries are flushed or the row is
// committed.
import type { AmpWork } from "@xmppd/bus";
import { parseJid } from "@xmppd/jid";
import type { Jid } from "@xmppd/jid";
import { decide, normalType } from "@xmppd/routing";
import type { SessionRecord } from "@xmppd/storage";
import { parseElement } from "@xmppd/xml";
import type { Element } from "@xmppd/xml";
import { bounce } from "../bounce.ts";
import { PoisonWorkError } from "../context.ts";
import type { Outcome, WorkContext, WorkMeta } from "../context.ts";
import { deliverToAny, liveOnce } from "../delivery.ts";
import { drainToSessions, isFlexible } from "../drain.ts";
import { releaseQueued } from "../queued.ts";
import { receiveAmp } from "../amp/receive.ts";

export type MessageWork = Extract<AmpWork, { t: "message" }>;

interface Parsed {
  stanza: Element;
  to: Jid;
  owner: string;
  type: string;
}

type StoreResult = "stored" | "duplicate" | "quota" | "disabled" | "no-account";

export async function handleMessage(work: MessageWork, ctx: WorkContext, meta?: WorkMeta): Promise<Outcome> {
  if (work.amp) return receiveAmp(work, ctx, meta);
  const p = parse(work);
  if (p.type === "chat" || p.type === "normal") return handleQueued(work, p, ctx, meta?.deliveryCount ?? 1);
  const decision = decide("message", p.type, p.to, await ctx.sessions.get(p.owner));
  if (decision.action === "deliver") {
    if (await deliverNow(work, decision.targets, ctx)) return "delivered";
    // The resource's queue is at its bound and this type is never stored (XEP-0160 §3).
    return bounce(ctx, { stanza: p.stanza, condition: "resource-constraint", from: p.owner, to: work.from, reason: "full", once: liveOnce(work, "bounce") });
  }
  if (decision.action === "error") return bounce(ctx, { stanza: p.stanza, condition: decision.condition, from: p.owner, to: work.from, reason: "routing", once: liveOnce(work, "bounce") });
  // RFC 6121 §8.5.2.2.1: headline and error messages to an unavailable account are silently
  // ignored (and never stored: XEP-0160 §3). Silent to the sender, counted here.
  ctx.metrics.stanzaOutcomes.inc({ outcome: "dropped", reason: p.type || "routing" });
  return "dropped";
}

async function handleQueued(work: MessageWork, p: Parsed, ctx: WorkContext, deliveryCount: number): Promise<Outcome> {
  const sessions = await ctx.sessions.get(p.owner);
  const decision = decide("message", p.type, p.to, sessions);
  if (decision.action === "error") {
    // RFC 6121 §8.5.3.2.1: a normal message for a full JID whose resource has gone.
    const outcome = await bounce(ctx, { stanza: p.stanza, condition: decision.condition, from: p.owner, to: work.from, reason: "routing", once: liveOnce(work, "bounce") });
    return released(ctx, p.owner, outcome);
  }
  // XEP-0013 §2.2: with a resource retrieving flexibly, stored messages wait for its requests and
  // in-session messages are delivered as usual, so this one does not line up behind them.
  // A full queue (deliverNow false) makes it a message to store like any other.
  if (decision.action === "deliver" && isFlexible(sessions) && (await deliverNow(work, decision.targets, ctx))) return released(ctx, p.owner, "delivered");
  let result = await store(work, p, ctx);
  if (result === "quota" && decision.action === "deliver") {
    // Full, but the account is online: the stored ones go first, which makes room for this one.
    await drainToSessions(ctx, p.owner);
    result = await store(work, p, ctx);
  }
  if (result === "duplicate") {
    // A row with this key exists. On a first delivery it came from an earlier publish of the same
    // stanza, counted separately; on a redelivery it is most likely our own (stored before a
    // failure), which its row still counts. Either way the row may still be waiting: drain.
    if (deliveryCount === 1) await releaseQueued(ctx, p.owner, 1);
    await drainIfDeliverable(ctx, p);
    return "duplicate";
  }
  if (result === "stored") return (await drainIfDeliverable(ctx, p)) > 0 ? "delivered" : "stored";
  // Not kept (no account, storage disabled, or full). Nothing of it is stored to wait behind.
  if (decision.action === "deliver" && (await deliverNow(work, decision.targets, ctx))) return released(ctx, p.owner, "delivered");
  // RFC 6121 §8.5.2.2.1: "or return a <service-unavailable/> stanza error"; XEP-0160 §4 for a
  // full storage. Also when the account is online but its resource's queue is at its bound too.
  const outcome = await bounce(ctx, { stanza: p.stanza, condition: "service-unavailable", from: p.owner, to: work.from, reason: result, once: liveOnce(work, "bounce") });
  return released(ctx, p.owner, outcome);
}

/** Drains the account if this message could be delivered now (fresh sessions: they may have changed while storing). */
async function drainIfDeliverable(ctx: WorkContext, p: Parsed): Promise<number> {
  const now = decide("message", p.type, p.to, await ctx.sessions.get(p.owner));
  return now.action === "deliver" ? drainToSessions(ctx, p.owner) : 0;
}

async function released(ctx: WorkContext, owner: string, outcome: Outcome): Promise<Outcome> {
  await releaseQueued(ctx, owner, 1);
  return outcome;
}

/** False: no target took it (their XEP-0198 queues are at their bound). */
async function deliverNow(work: MessageWork, targets: SessionRecord[], ctx: WorkContext): Promise<boolean> {
  const taken = await deliverToAny(ctx, targets, work.xml, liveOnce(work));
  await ctx.bus.flush();
  return taken;
}

async function store(work: MessageWork, p: Parsed, ctx: WorkContext): Promise<StoreResult> {
  const { offline } = ctx.config;
  if (!offline.enabled) return "disabled";
  // RFC 6121 §8.5.1: no such account -> the message is not stored.
  if (!p.to.local || !(await ctx.users.exists(p.to.domain, p.to.local))) return "no-account";
  const result = await ctx.offline.store(
    { key: work.key, owner: p.owner, sender: work.from, stanza: work.xml, orderKey: work.order, expiresAt: null, meta: null },
    offline.quota,
  );
  if (result === "stored") (ctx.metrics.offlineStored.inc(), ctx.metrics.stanzaOutcomes.inc({ outcome: "stored", reason: "offline" }));
  return result;
}

function parse(work: MessageWork): Parsed {
  try {
    const stanza = parseElement(work.xml);
    const to = parseJid(work.to);
    return { stanza, to, owner: to.bareString(), type: normalType(stanza.attrs.type as string | undefined) };
  } catch (err) {
    throw new PoisonWorkError(`message work ${work.key} is not processable`, { cause: err });
  }
}
