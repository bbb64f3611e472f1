// XEP-0079 §9 as DP-11 decides: the security level of the recipient's domain, and whether the
// sender may learn about the recipient's presence (strict: the recipient's roster says so).
import { ampCore } from "@xmppd/modules";
import type { WorkContext } from "../context.ts";

export function securityLevel(ctx: WorkContext, domain: string): ampCore.SecurityLevel {
  return ampCore.securityLevelOf(ctx.config.amp, domain);
}

/**
 * DP-11 strict: the sender is the recipient's own account, a served domain (the server itself),
 * or has the recipient's presence (the recipient's roster item for it is from or both).
 */
export async function senderAuthorised(ctx: WorkContext, senderFull: string, senderBare: string, owner: string): Promise<boolean> {
  return ampCore.trustedSender(senderFull, senderBare, owner, ctx.domains) || ctx.roster.authorises(owner, senderBare);
}
