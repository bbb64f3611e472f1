// XEP-0079 §9 as DP-11 decides: the security level of the recipient's domain, and whether the
// sender may learn about the recipient's presence (strict: the recipient's roster says so).
import type { ampCore } from "@xmppd/modules";
import type { WorkContext } from "../context.ts";

export function securityLevel(ctx: WorkContext, domain: string): ampCore.SecurityLevel {
  return ctx.config.amp.domainSecurity[domain] ?? ctx.config.amp.security;
}

/**
 * DP-11 strict: the sender is the recipient's own account, a served domain (the server itself),
 * or has the recipient's presence (the recipient's roster item for it is from or both).
 */
export async function senderAuthorised(ctx: WorkContext, senderFull: string, senderBare: string, owner: string): Promise<boolean> {
  if (senderBare === owner) return true;
  if (ctx.domains.has(senderFull)) return true;
  return ctx.roster.authorises(owner, senderBare);
}
