// XEP-0079 §2.2.5, §3.4 and §6 replies in the envelope of DP-04: a <message/> to the original
// sender's full JID with the original id, from the deciding domain, and no payload but <amp/>
// (and <error/>). <amp/> carries from = the sender, to = the original `to` exactly as sent (D12).
import { NS_AMP, NS_AMP_ERRORS, NS_XMPP_STANZAS } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import type { AmpRequest, FailureKind, RawRule, Rule } from "./types.ts";

/** alert/notify (§3.4.1, §3.4.4) or the error action (§3.4.2) for the rule that fired; drop sends nothing. */
export function eventReply(original: Element, rule: Rule, domain: string): Element {
  if (rule.action === "drop") throw new TypeError("the drop action sends no event (XEP-0079 §3.4.2)");
  const amp = ampFor(original, rule.action, [ruleElement(rule.raw)]);
  if (rule.action !== "error") return envelope(original, domain, undefined, amp);
  // §3.4.3 and D4/D17: type='error', status='error', undefined-condition (modify) and the rule in
  // <failed-rules/> of the amp#errors namespace.
  const failed = xml("failed-rules", { xmlns: NS_AMP_ERRORS }, ruleElement(rule.raw));
  const error = xml("error", { type: "modify" }, xml("undefined-condition", { xmlns: NS_XMPP_STANZAS }), failed);
  return envelope(original, domain, "error", amp, error);
}

/**
 * The error for a failed validation (DP-03, §6.2): type='error', the original ruleset echoed in
 * <amp/> without status or per-hop, then bad-request (no container: DP-03 a/b, DP-12) or the
 * general condition and the container of §6 in the amp namespace listing the offending rules.
 * DP-12: with a missing or empty id the reply has no id.
 */
export function validationErrorReply(original: Element, request: AmpRequest, kind: FailureKind, offending: RawRule[], domain: string): Element {
  const amp = ampFor(original, undefined, request.rules.map(echoRule));
  const general = kind === "invalid-rules" ? "not-acceptable" : "bad-request";
  const container = kind === "bad-request" ? null : xml(kind, { xmlns: NS_AMP }, ...offending.map(echoRule));
  const error = xml("error", { type: "modify" }, xml(general, { xmlns: NS_XMPP_STANZAS }), container);
  return envelope(original, domain, "error", amp, error);
}

/** DP-05: a copy of the message without its <amp/> (for local delivery and the offline payload). */
export function stripAmp(message: Element): Element {
  const kept = message.children.filter((c) => typeof c === "string" || !c.is("amp", NS_AMP));
  return xml(message.name, { ...message.attrs }, ...kept.map(copyNode));
}

function copyNode(node: Element | string): Element | string {
  return typeof node === "string" ? node : xml(node.name, { ...node.attrs }, ...node.children.map(copyNode));
}

function envelope(original: Element, domain: string, type: string | undefined, ...children: Element[]): Element {
  const id = (original.attrs.id as string | undefined) || undefined;
  return xml("message", { from: domain, to: original.attrs.from, id, type }, ...children);
}

function ampFor(original: Element, status: string | undefined, rules: Element[]): Element {
  return xml("amp", { xmlns: NS_AMP, status, from: original.attrs.from, to: original.attrs.to }, ...rules);
}

/** A valid rule as its three attributes (inherits the namespace of its container). */
function ruleElement(raw: RawRule): Element {
  return xml("rule", { condition: raw.condition, action: raw.action, value: raw.value });
}

/**
 * A rule "exactly as sent" (DP-04): its own attributes, unprefixed. Namespace declarations and
 * prefixed attributes are left out because their prefixes may be declared on an ancestor; rules
 * are empty by the schema (§12), so no children are copied.
 */
function echoRule(raw: RawRule): Element {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.element.attrs)) if (!k.includes(":") && k !== "xmlns" && typeof v === "string") attrs[k] = v;
  return xml("rule", attrs);
}
