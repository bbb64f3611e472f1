export type { DiscoIdentity, IqContext, IqRegistration, IqReply, ModuleCapabilities, ModuleContext, OfflineCapability, Registrations, XmppModule } from "./host/types.ts";
export { FORWARDED } from "./host/types.ts";
export { createModuleHost, iqKey, type ModuleHost, type ModuleHostOptions } from "./host/module-host.ts";
export { ping } from "./ping/ping.ts";
export { disco } from "./disco/disco.ts";
export { version, serverVersion } from "./version/version.ts";
export { session } from "./session/session.ts";
export { offline } from "./offline/offline.ts";
export * as flexibleOffline from "./offline/flexible.ts";
// RFC 6121: the roster module (loaded by the router with its capabilities, not a default module),
// and the pure parts the router's presence path shares with it.
export { roster, rosterVersioningFeature } from "./roster/roster.ts";
export { itemElement, rosterPush, ROSTER_LIMITS } from "./roster/items.ts";
export * as subscriptions from "./roster/subscription.ts";
// XEP-0079: the pure core for the router and the AMP worker, and the module (discovery).
export * as ampCore from "./amp/index.ts";
export { amp } from "./amp/module.ts";
// XEP-0191, XEP-0280: the modules (loaded by the router with their capabilities) and their pure parts.
export { blocking, BLOCKLIST_LIMIT, type BlockChange, type BlockingCapability } from "./blocking/blocking.ts";
export * as blockingCore from "./blocking/matching.ts";
export { carbons, carbonCopy, isCarbonEligible, type CarbonsCapability } from "./carbons/carbons.ts";
export type { AccountDataCapability } from "./account-data.ts";
// XEP-0054, XEP-0049, XEP-0012 (need the accountData capability), XEP-0202, XEP-0115 (server caps).
export { vcard } from "./vcard/vcard.ts";
export { privateStorage } from "./private/private.ts";
export { lastActivity } from "./last/last.ts";
export { time } from "./time/time.ts";
export { SERVER_CAPS_NODE, capsElement, capsFeature, capsVerification, capsVerificationOf, type ServerCaps } from "./caps/caps.ts";
// XEP-0077: the module (after authentication) and the forms the router's registration path shares.
export { register, type RegistrationCapability } from "./register/register.ts";
export { accountFor, parseRegisterQuery, registeredForm, registrationForm, type RegisterRequest } from "./register/form.ts";
import type { XmppModule } from "./host/types.ts";
import { ping } from "./ping/ping.ts";
import { disco } from "./disco/disco.ts";
import { version } from "./version/version.ts";
import { session } from "./session/session.ts";
import { offline } from "./offline/offline.ts";
import { amp } from "./amp/module.ts";
import { time } from "./time/time.ts";

/** The modules a router loads by default (those needing no capability). */
export const defaultModules: readonly XmppModule[] = [disco, ping, version, session, offline, amp, time];
