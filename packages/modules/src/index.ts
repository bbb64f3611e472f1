export type { DiscoIdentity, IqContext, IqRegistration, IqReply, ModuleContext, Registrations, XmppModule } from "./host/types.ts";
export { createModuleHost, iqKey, type ModuleHost, type ModuleHostOptions } from "./host/module-host.ts";
export { ping } from "./ping/ping.ts";
export { disco } from "./disco/disco.ts";
export { version, serverVersion } from "./version/version.ts";
export { session } from "./session/session.ts";
export { offline } from "./offline/offline.ts";
// XEP-0079 pure core; not a registered module (no defaultModules entry).
export * as amp from "./amp/index.ts";
import type { XmppModule } from "./host/types.ts";
import { ping } from "./ping/ping.ts";
import { disco } from "./disco/disco.ts";
import { version } from "./version/version.ts";
import { session } from "./session/session.ts";
import { offline } from "./offline/offline.ts";

/** The modules a router loads by default. */
export const defaultModules: readonly XmppModule[] = [disco, ping, version, session, offline];
