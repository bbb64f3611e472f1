// The module contract, after Prosody's modules and ejabberd's gen_mod: a module declares what it
// implements and returns registrations from setup; the host applies them and can undo them.
import type { RosterItem, RosterStore } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import type { BlockingCapability } from "../blocking/blocking.ts";
import type { CarbonsCapability } from "../carbons/carbons.ts";
import type { AccountDataCapability } from "../account-data.ts";
import type { RegistrationCapability } from "../register/register.ts";

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

/** What the composition root lends to the modules that need it (the roster module, RFC 6121). */
export interface ModuleCapabilities {
  /** Rosters with versions (RFC 6121 §2, XEP-0237). */
  readonly rosters?: RosterStore;
  /** Sends a stanza to every interested resource of a local account (roster pushes, RFC 6121 §2.1.6). */
  push?(bareJid: string, el: Element): Promise<void>;
  /** Marks a resource as interested: it asked for the roster (RFC 6121 §2.1.6). */
  interested?(fullJid: string): Promise<void>;
  /** The subscription presence due when `owner` removes `item` from the roster (RFC 6121 §2.5.2). */
  rosterRemoved?(owner: string, item: RosterItem): Promise<void>;
  /** XEP-0191: the block lists and what a change makes the router do. */
  readonly blocking?: BlockingCapability;
  /** XEP-0280: a resource's carbons choice. */
  readonly carbons?: CarbonsCapability;
  /** XEP-0054, XEP-0049, XEP-0012: XML and last activity kept per account, and roster lookups. */
  readonly accountData?: AccountDataCapability;
  /** XEP-0077: password change and cancellation of the account (absent: registration disabled). */
  readonly registration?: RegistrationCapability;
  /** XEP-0013: offline messages live with the AMP worker; the router forwards requests to it. */
  readonly offline?: OfflineCapability;
}

/** Flexible offline retrieval (XEP-0013), answered where the offline store lives. */
export interface OfflineCapability {
  /**
   * Marks the requesting session as retrieving flexibly (no offline flood at its initial
   * presence, §2.2) and hands the request to the offline store's owner, which answers the
   * requester itself.
   */
  forward(iq: Element, from: string): Promise<void>;
}

/** What a module may ask of its host. Modules get capabilities here, never from drivers. */
export interface ModuleContext {
  readonly capabilities: ModuleCapabilities;
  /** Domains served by this cluster. */
  readonly domains: readonly string[];
  /** Union of the disco features of every loaded module, sorted (read at answer time). */
  discoFeatures(): string[];
  discoIdentities(): DiscoIdentity[];
  /** The disco#info <query/> a module publishes for a node (XEP-0030 §3.2), or null when none does. */
  discoNode(node: string): Element | null;
  /** Union of the account disco features of every loaded module, sorted. */
  accountDiscoFeatures(): string[];
  /** Who answers disco#info and disco#items for a node of an account (XEP-0030 §3 on its behalf). */
  accountDiscoNode(node: string): IqRegistration["handler"] | null;
}

/** Facts about one IQ being answered. */
export interface IqContext {
  /** The answering entity: a served domain, or an account's bare JID (RFC 6121 §8.5.2.1.3). */
  readonly entity: string;
  /** True when the entity is a served domain, i.e. the server itself. */
  readonly isServer: boolean;
  /** The sender's full JID, as stamped by the gateway. */
  readonly from: string;
}

/** A handler's answer meaning "another process answers this IQ": the host sends nothing. */
export const FORWARDED: unique symbol = Symbol("forwarded");

export type IqReply = Element | null | typeof FORWARDED | Promise<Element | null | typeof FORWARDED>;

export interface IqRegistration {
  type: "get" | "set";
  /** Namespace and local name of the IQ's single payload child. */
  xmlns: string;
  name: string;
  /** The reply (a result or an error). null declines: the host answers service-unavailable. */
  handler(iq: Element, ctx: IqContext): IqReply;
}

export interface Registrations {
  iq?: IqRegistration[];
  discoFeatures?: string[];
  discoIdentities?: DiscoIdentity[];
  /** disco#info nodes of the server, each answered by its builder (the <query/> with its node attribute). */
  discoNodes?: Record<string, () => Element>;
  /** disco#info and disco#items requests for a node of an account, by node (e.g. XEP-0013's). */
  accountDiscoNodes?: Record<string, IqRegistration["handler"]>;
  /**
   * Namespaces this module answers on an account's behalf (an IQ to the account's bare JID, or
   * without 'to'): listed in the account's own disco#info (XEP-0030 §3 on its behalf).
   */
  accountDiscoFeatures?: string[];
}

export interface XmppModule {
  readonly name: string;
  /** XEPs (or RFCs) implemented, e.g. "XEP-0199". */
  readonly xeps: string[];
  /** Has no side effects beyond building the registrations. */
  setup(ctx: ModuleContext): Registrations;
}
