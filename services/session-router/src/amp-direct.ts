// XEP-0079 E1 in the router, for the common case only (docs/amp.md "Where rules are evaluated"):
// a chat or normal message whose recipient has an available resource and nothing on the offline
// path ahead of it, whose rules pass the security check and meet no condition, is delivered here
// like a plain message, without its <amp/>. For local traffic the router is the recipient's edge
// too (DP-01), and its one read of the recipient's sessions is the routing lookup (DP-07).
// Everything else (a rule met, an event to send, storage, a refusal) is left untouched for the
// AMP worker, which evaluates the message afresh: nothing here has an effect until it delivers.
import type { Jid } from "@xmppd/jid";
import { ampCore } from "@xmppd/modules";
import { normalType } from "@xmppd/routing";
import type { RecipientState } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import { deliverTo, type RouterContext } from "./context.ts";
import { sendCarbons } from "./carbons.ts";
import { fromElement } from "./routed-stanza.ts";

/** True: delivered here. False: the AMP worker's to evaluate (nothing was sent). */
export async function deliverAmpDirect(ctx: RouterContext, el: Element, rules: ampCore.Rule[], sender: Jid, to: Jid, recipient: RecipientState): Promise<boolean> {
  const type = normalType(el.attrs.type as string | undefined);
  // Only the counted types (invariant 2): their queued count says that nothing of theirs is
  // still on the worker's path, which this one must not overtake.
  if (type !== "chat" && type !== "normal") return false;
  const { sessions, queued } = recipient;
  // Without a bound resource the account may not exist (the worker checks); XEP-0013 retrieval
  // holds messages for the resource's own requests.
  if (sessions.length === 0 || queued > 0 || sessions.some((s) => s.flexOffline)) return false;
  const owner = to.bareString();
  const level = ampCore.securityLevelOf(ctx.config.amp, to.domain);
  // DP-11: the roster is read only when some rule would otherwise be refused.
  if (ampCore.securityRefusals(rules, level, false, true).length > 0) {
    const authorised = level === "strict" && (ampCore.trustedSender(sender.toString(), sender.bareString(), owner, ctx.domains) || (await ctx.rosters.authorises(owner, sender.bareString())));
    if (ampCore.securityRefusals(rules, level, authorised, true).length > 0) return false;
  }
  const disp = ampCore.disposition({ type, to: to.toString(), sessions, accountExists: true, storageEnabled: ctx.config.offline.enabled, quotaReached: false });
  if (disp.deliver !== "direct") return false;
  const pass = ampCore.evaluatePass(rules, "E1", disp, Date.now(), []);
  if (pass.fired !== null || pass.outcome.effect !== "deliver") return false;
  // DP-05: delivered without <amp/>; XEP-0280 §6 `received` copies of what was delivered.
  const delivered = fromElement(ampCore.stripAmp(el));
  for (const t of disp.targets) deliverTo(ctx, t, delivered.xml);
  sendCarbons(ctx, delivered, owner, disp.targets, sessions, []);
  return true;
}
