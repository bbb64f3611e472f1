// The capability shared by the modules that keep per-account data (vCard, private XML, last
// activity): their stores and the facts they need, lent by the composition root.
import type { AccountXmlStore, LastActivityStore, RosterStore } from "@xmppd/storage";

export interface AccountDataCapability {
  readonly xml: AccountXmlStore;
  readonly last: LastActivityStore;
  /** XEP-0012 §4: whether the requester may see the account's presence (its subscription). */
  readonly rosters: RosterStore;
  /** XEP-0012 §4: whether the account has an available resource now. */
  isAvailable(bareJid: string): Promise<boolean>;
  /** When this server process started, ms since the epoch (XEP-0012 §6: the server's uptime). */
  readonly startedAt: number;
}

/** The bare JID of a full JID. */
export const bareOf = (jid: string): string => jid.split("/")[0]!;
