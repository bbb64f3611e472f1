// Shared fixtures for the AMP unit tests (not imported by production code).
import type { SessionRecord } from "@xmppd/storage";
import { parseElement, type Element } from "@xmppd/xml";
import { parseAmp } from "./parse.ts";
import type { AmpRequest, Rule } from "./types.ts";
import { validateAmp } from "./validate.ts";

export const SENDER = "romeo@montague.lit/orchard";
export const RECIPIENT = "juliet@capulet.lit";

/** A message from SENDER with the given <amp/> inner XML and attributes. */
export function ampMessage(rulesXml: string, opts: { id?: string | null; to?: string; type?: string; ampAttrs?: string } = {}): Element {
  const id = opts.id === null ? "" : ` id="${opts.id ?? "m1"}"`;
  const type = opts.type ? ` type="${opts.type}"` : "";
  return parseElement(
    `<message xmlns="jabber:client" from="${SENDER}" to="${opts.to ?? RECIPIENT}"${id}${type}><body>hi</body>` +
      `<amp xmlns="http://jabber.org/protocol/amp"${opts.ampAttrs ?? ""}>${rulesXml}</amp></message>`,
  );
}

export function requestOf(message: Element): AmpRequest {
  const req = parseAmp(message);
  if (!req) throw new Error("fixture has no amp");
  return req;
}

/** The validated rules of a fixture that must be valid. */
export function rulesOf(rulesXml: string): Rule[] {
  const m = ampMessage(rulesXml);
  const result = validateAmp(m, requestOf(m));
  if (!result.ok) throw new Error(`fixture invalid: ${result.kind}`);
  return result.rules;
}

export function session(resource: string, priority: number, available = true): SessionRecord {
  return { jid: `${RECIPIENT}/${resource}`, gateway: "gw1", conn: `c-${resource}`, available, priority, boundAt: 0 };
}

/** Serialised form of an XML literal, for exact comparison with built elements. */
export function canonical(text: string): string {
  return parseElement(text).toString();
}
