// DP-11 (docs/amp-decisions.md): which security level applies, and the part of `strict`'s
// authorisation that needs no roster. Shared by the router (which evaluates some messages itself)
// and the AMP worker, so both answer the same.
import type { SecurityLevel } from "./validate.ts";

export interface AmpSecurityConfig {
  security: SecurityLevel;
  domainSecurity: Readonly<Record<string, SecurityLevel>>;
}

export function securityLevelOf(config: AmpSecurityConfig, domain: string): SecurityLevel {
  return config.domainSecurity[domain] ?? config.security;
}

/** `strict` trusts the recipient's own account and a served domain (the server itself) without a roster read. */
export function trustedSender(senderFull: string, senderBare: string, owner: string, domains: ReadonlySet<string>): boolean {
  return senderBare === owner || domains.has(senderFull);
}
