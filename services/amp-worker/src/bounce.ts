// Bounce a message to its sender with a stanza error (RFC 6120 §8.3). Errors are never stored
// offline: if the sending resource is gone, the error is dropped (RFC 6121 §8.5.3.2.1, the
// sender's own full JID is no longer there to receive it).
import { tryParseJid } from "@xmppd/jid";
import { errorReply } from "@xmppd/stanza";
import type { StanzaErrorCondition } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { WorkContext } from "./context.ts";
import { deliverTo, findSession } from "./delivery.ts";

export interface BounceSpec {
  stanza: Element;
  condition: StanzaErrorCondition;
  /** The bare JID that decided: the error's `from`. */
  from: string;
  /** The sender's full JID: the error's `to`. */
  to: string;
  /** Why, for the metric: quota, no-account, disabled, or the routing decision. */
  reason: string;
  /** Idempotency key of the error (deliverTo `once`), so a redelivered work item bounces once. */
  once?: string;
}

export async function bounce(ctx: WorkContext, spec: BounceSpec): Promise<"bounced" | "bounce-dropped"> {
  const reply = errorReply(spec.stanza, spec.condition, { type: "cancel", from: spec.from });
  const sender = tryParseJid(spec.to);
  if (!reply || !sender) return "bounce-dropped";
  reply.attrs.to = sender.toString();
  const session = await findSession(ctx, sender.bareString(), sender.toString());
  if (!session) {
    ctx.log.debug({ to: spec.to, condition: spec.condition }, "sender gone, error dropped");
    return "bounce-dropped";
  }
  await deliverTo(ctx, session, reply.toString(), spec.once);
  await ctx.bus.flush();
  ctx.metrics.offlineBounced.inc({ reason: spec.reason });
  return "bounced";
}
