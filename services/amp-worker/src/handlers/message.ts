// A message the router could not deliver (no available resource when it looked). Sessions may
// have changed since, so the RFC 6121 §8.5 decision is taken again on fresh state; what is
// still undeliverable is stored offline (XEP-0160) or bounced. The message is acknowledged on
// the work queue only after the deliveries are flushed or the offline row is committed.
import type { AmpWork } from "@xmppd/bus";
import { parseJid } from "@xmppd/jid";
import type { Jid } from "@xmppd/jid";
import { decide } from "@xmppd/routing";
import { parseElement } from "@xmppd/xml";
import type { Element } from "@xmppd/xml";
import { bounce } from "../bounce.ts";
import { PoisonWorkError } from "../context.ts";
import type { Outcome, WorkContext } from "../context.ts";
import { deliverTo } from "../delivery.ts";

export type MessageWork = Extract<AmpWork, { t: "message" }>;

interface Parsed {
  stanza: Element;
  to: Jid;
  owner: string;
}

export async function handleMessage(work: MessageWork, ctx: WorkContext): Promise<Outcome> {
  const { stanza, to, owner } = parse(work);
  const sessions = await ctx.sessions.get(owner);
  const decision = decide("message", stanza.attrs.type ?? "", to, sessions);
  switch (decision.action) {
    case "deliver":
      for (const target of decision.targets) deliverTo(ctx, target, work.xml);
      await ctx.bus.flush();
      return "delivered";
    case "offline":
      return storeOrBounce(work, { stanza, to, owner }, ctx);
    case "error":
      return bounce(ctx, { stanza, condition: decision.condition, from: owner, to: work.from, reason: "routing" });
    default:
      // RFC 6121 §8.5.2.2.1: headline and error messages to an unavailable account are
      // silently ignored (and never stored: XEP-0160 §3).
      return "dropped";
  }
}

/** RFC 6121 §8.5.2.2.1 and XEP-0160: chat and normal messages are stored while there is room. */
async function storeOrBounce(work: MessageWork, p: Parsed, ctx: WorkContext): Promise<Outcome> {
  const reason = await store(work, p, ctx);
  if (reason === "stored" || reason === "duplicate") return reason;
  // No account, storage disabled or the quota is full: the sender learns the message was not
  // kept (RFC 6121 §8.5.2.2.1: "or return a <service-unavailable/> stanza error").
  return bounce(ctx, { stanza: p.stanza, condition: "service-unavailable", from: p.owner, to: work.from, reason });
}

async function store(work: MessageWork, p: Parsed, ctx: WorkContext): Promise<"stored" | "duplicate" | "quota" | "disabled" | "no-account"> {
  const { offline } = ctx.config;
  if (!offline.enabled) return "disabled";
  // RFC 6121 §8.5.1: no such account -> the message is not stored.
  if (!p.to.local || !(await ctx.users.get(p.to.domain, p.to.local))) return "no-account";
  const result = await ctx.offline.store(
    { key: work.key, owner: p.owner, sender: work.from, stanza: work.xml, orderKey: work.order, expiresAt: null, meta: null },
    offline.quota,
  );
  if (result === "stored") ctx.metrics.offlineStored.inc();
  return result;
}

function parse(work: MessageWork): Parsed {
  try {
    const stanza = parseElement(work.xml);
    const to = parseJid(work.to);
    return { stanza, to, owner: to.bareString() };
  } catch (err) {
    throw new PoisonWorkError(`message work ${work.key} is not processable`, { cause: err });
  }
}
