// Helpers for module tests: run one module in a host and compare replies as canonical XML
// (attribute order does not matter in XML, so it must not matter in assertions).
import { parseElement, type Element } from "@xmppd/xml";
import { errorReply, type StanzaErrorCondition } from "@xmppd/stanza";
import { createModuleHost, type ModuleHost } from "./module-host.ts";
import type { IqContext, XmppModule } from "./types.ts";

export const SERVER_CTX: IqContext = { entity: "example.com", isServer: true, from: "romeo@example.com/orchard" };
export const ACCOUNT_CTX: IqContext = { entity: "romeo@example.com", isServer: false, from: "romeo@example.com/orchard" };

export function hostWith(...modules: XmppModule[]): ModuleHost {
  const host = createModuleHost({ domains: ["example.com"] });
  for (const m of modules) host.load(m);
  return host;
}

/** Sends `iqText` through the host and returns the canonical reply (or null). */
export async function ask(host: ModuleHost, iqText: string, ctx: IqContext = SERVER_CTX): Promise<string | null> {
  const reply = await host.handleIq(parseElement(iqText), ctx);
  return reply ? canonical(reply) : null;
}

export function canonical(el: Element | string): string {
  const e = typeof el === "string" ? parseElement(el) : el;
  const attrs = Object.entries(e.attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ` ${k}="${String(v)}"`)
    .join("");
  const kids = (e.children as (Element | string)[]).map((c) => (typeof c === "string" ? c : canonical(c))).join("");
  return `<${e.name}${attrs}>${kids}</${e.name}>`;
}

/** The exact error reply the stanza package builds for `iqText` with `condition`. */
export function expectedError(iqText: string, condition: StanzaErrorCondition): string {
  const reply = errorReply(parseElement(iqText), condition);
  if (!reply) throw new Error("no error reply for a result or error");
  return canonical(reply);
}
