// The module contract, after Prosody's modules and ejabberd's gen_mod: a module declares what it
// implements and returns registrations from setup; the host applies them and can undo them.
import type { Element } from "@xmppd/xml";

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

/** What a module may ask of its host. Modules get capabilities here, never from drivers. */
export interface ModuleContext {
  /** Domains served by this cluster. */
  readonly domains: readonly string[];
  /** Union of the disco features of every loaded module, sorted (read at answer time). */
  discoFeatures(): string[];
  discoIdentities(): DiscoIdentity[];
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

export type IqReply = Element | null | Promise<Element | null>;

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
}

export interface XmppModule {
  readonly name: string;
  /** XEPs (or RFCs) implemented, e.g. "XEP-0199". */
  readonly xeps: string[];
  /** Has no side effects beyond building the registrations. */
  setup(ctx: ModuleContext): Registrations;
}
