// XEP-0280 §6 for the AMP messages a worker hands off (the router copies plain ones): the
// recipient's carbons-enabled resources that did not get the message itself get a `received`
// copy of what was delivered (without <amp/>, DP-05). The sender's `sent` copies are the
// router's, made when it queued the message.
import { carbonCopy, isCarbonEligible } from "@xmppd/modules";
import type { SessionRecord } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import type { WorkContext } from "../context.ts";
import { deliverTo } from "../delivery.ts";

export async function copyReceived(ctx: WorkContext, delivered: Element, owner: string, targets: readonly SessionRecord[], sessions: readonly SessionRecord[], once?: string): Promise<void> {
  const got = new Set(targets.map((t) => t.jid));
  const others = sessions.filter((s) => s.carbons && !got.has(s.jid));
  if (others.length === 0 || !isCarbonEligible(delivered)) return;
  const text = delivered.toString();
  const type = delivered.attrs.type as string | undefined;
  for (const s of others) await deliverTo(ctx, s, carbonCopy("received", text, owner, s.jid, type).toString(), once);
}
