// Loads modules and answers IQs addressed to the server or, on an account's behalf, to a bare JID.
// Like Prosody's stanza router, an IQ becomes one event name (`get/ping/urn:xmpp:ping`) and the
// unhandled case gets the RFC default in exactly one place.
import type { Element } from "@xmppd/xml";
import { errorReply } from "@xmppd/stanza";
import { FORWARDED, type DiscoIdentity, type IqContext, type IqRegistration, type ModuleCapabilities, type ModuleContext, type Registrations, type XmppModule } from "./types.ts";

export interface ModuleHost {
  /** Applies a module's registrations; throws if the name is loaded or an IQ key is taken. */
  load(module: XmppModule): void;
  /** Undoes every registration of a module. Returns false if it was not loaded. */
  unload(name: string): boolean;
  loaded(): string[];
  discoFeatures(): string[];
  discoIdentities(): DiscoIdentity[];
  /** The namespaces of every registered IQ handler, sorted (what disco#info must advertise). */
  servedNamespaces(): string[];
  accountDiscoFeatures(): string[];
  /** The reply to an IQ, or null when none may be sent (a result or an error). Never throws. */
  handleIq(iq: Element, ctx: IqContext): Promise<Element | null>;
}

export interface ModuleHostOptions {
  domains: readonly string[];
  /** Called when a handler throws, so the caller can log it; the client gets internal-server-error. */
  onHandlerError?: (err: unknown, key: string) => void;
  /** Lent to modules through ModuleContext.capabilities. */
  capabilities?: ModuleCapabilities;
}

export function iqKey(type: string, name: string, xmlns: string): string {
  return `${type}/${name}/${xmlns}`;
}

export function createModuleHost(opts: ModuleHostOptions): ModuleHost {
  const modules = new Map<string, Registrations>();
  const handlers = new Map<string, IqRegistration>();
  const ctx: ModuleContext = {
    capabilities: opts.capabilities ?? {},
    domains: opts.domains,
    discoFeatures: () => host.discoFeatures(),
    discoIdentities: () => host.discoIdentities(),
    accountDiscoFeatures: () => host.accountDiscoFeatures(),
    discoNode: (node) => {
      for (const regs of modules.values()) {
        const build = regs.discoNodes && Object.hasOwn(regs.discoNodes, node) ? regs.discoNodes[node] : undefined;
        if (build) return build();
      }
      return null;
    },
    accountDiscoNode: (node) => {
      for (const regs of modules.values()) {
        if (regs.accountDiscoNodes && Object.hasOwn(regs.accountDiscoNodes, node)) return regs.accountDiscoNodes[node] ?? null;
      }
      return null;
    },
  };

  const host: ModuleHost = {
    load(module) {
      if (modules.has(module.name)) throw new Error(`module ${module.name} is already loaded`);
      const regs = module.setup(ctx);
      const keys = (regs.iq ?? []).map((r) => iqKey(r.type, r.name, r.xmlns));
      const taken = keys.find((k, i) => handlers.has(k) || keys.indexOf(k) !== i);
      if (taken) throw new Error(`module ${module.name}: IQ handler ${taken} is already registered`);
      for (const r of regs.iq ?? []) handlers.set(iqKey(r.type, r.name, r.xmlns), r);
      modules.set(module.name, regs);
    },
    unload(name) {
      const regs = modules.get(name);
      if (!regs) return false;
      for (const r of regs.iq ?? []) handlers.delete(iqKey(r.type, r.name, r.xmlns));
      modules.delete(name);
      return true;
    },
    loaded: () => [...modules.keys()],
    discoFeatures: () => [...new Set([...modules.values()].flatMap((r) => r.discoFeatures ?? []))].sort(),
    discoIdentities: () => [...modules.values()].flatMap((r) => r.discoIdentities ?? []),
    accountDiscoFeatures: () => [...new Set([...modules.values()].flatMap((r) => r.accountDiscoFeatures ?? []))].sort(),
    servedNamespaces: () => [...new Set([...handlers.values()].map((r) => r.xmlns))].sort(),
    handleIq: (iq, iqCtx) => answer(iq, iqCtx),
  };

  async function answer(iq: Element, iqCtx: IqContext): Promise<Element | null> {
    const type = iq.attrs.type as string | undefined;
    // RFC 6120 §8.2.3: a result or an error is never answered.
    if (type === "result" || type === "error") return null;
    const payload = (iq.children as (Element | string)[]).filter((c): c is Element => typeof c !== "string");
    // RFC 6120 §8.2.3: get and set carry exactly one payload child, and an id; type is required.
    if ((type !== "get" && type !== "set") || payload.length !== 1 || !iq.attrs.id) return errorReply(iq, "bad-request");
    const child = payload[0] as Element;
    const key = iqKey(type, child.name, (child.attrs.xmlns as string | undefined) ?? "");
    const reg = handlers.get(key);
    // RFC 6120 §8.4: an unsupported IQ gets service-unavailable.
    if (!reg) return errorReply(iq, "service-unavailable");
    try {
      const reply = await reg.handler(iq, iqCtx);
      return reply === FORWARDED ? null : (reply ?? errorReply(iq, "service-unavailable"));
    } catch (err) {
      opts.onHandlerError?.(err, key);
      return errorReply(iq, "internal-server-error");
    }
  }

  return host;
}
