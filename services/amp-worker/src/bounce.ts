// Bounce a message to its sender with a stanza error (RFC 6120 §8.3). Errors are never stored
// offline: if the sending resource is gone (or its own queue is full), the error is dropped
// (RFC 6121 §8.5.3.2.1, the sender's own full JID is no longer there to receive it); each such
// end is counted as outcome "dropped".
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
  // The type RFC 6120 §8.3.3 gives the condition: resource-constraint is "wait", the rest "cancel".
  const reply = errorReply(spec.stanza, spec.condition, { from: spec.from });
  const sender = tryParseJid(spec.to);
  if (!reply || !sender) return dropped(ctx, "error-of-error");
  reply.attrs.to = sender.toString();
  const session = await findSession(ctx, sender.bareString(), sender.toString());
  if (!session) {
    ctx.log.debug({ to: spec.to, condition: spec.condition }, "sender gone, error dropped");
    return dropped(ctx, "sender-gone");
  }
  // An error is never stored (RFC 6121 §8.5.2.2.1): a sender whose own queue is full loses it.
  if (!(await deliverTo(ctx, session, reply.toString(), spec.once))) return dropped(ctx, "sender-full");
  await ctx.bus.flush();
  ctx.metrics.offlineBounced.inc({ reason: spec.reason });
  ctx.metrics.stanzaOutcomes.inc({ outcome: "bounced", reason: spec.reason });
  return "bounced";
}

/** The message is not delivered, and its error could not be either: counted, never silent. */
function dropped(ctx: WorkContext, reason: string): "bounce-dropped" {
  ctx.metrics.stanzaOutcomes.inc({ outcome: "dropped", reason });
  return "bounce-dropped";
}
