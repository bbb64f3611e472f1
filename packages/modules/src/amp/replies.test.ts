import { describe, expect, it } from "vitest";
import { parseElement } from "@xmppd/xml";
import { eventReply, stripAmp, validationErrorReply } from "./replies.ts";
import { validateAmp } from "./validate.ts";
import { ampMessage, canonical, requestOf, rulesOf } from "./test-helpers.ts";

const AMP = `xmlns="http://jabber.org/protocol/amp"`;
const ENV = `from="capulet.lit" to="romeo@montague.lit/orchard" id="m1"`;
const AMP_ADDR = `from="romeo@montague.lit/orchard" to="juliet@capulet.lit"`;

describe("event replies (DP-04, XEP-0079 §3.4)", () => {
  const original = ampMessage(`<rule condition="deliver" action="alert" value="stored"/>`);

  it.each(["alert", "notify"])("%s carries only <amp status from to> with the rule", (action) => {
    const [rule] = rulesOf(`<rule condition="deliver" action="${action}" value="stored"/>`);
    expect(eventReply(original, rule!, "capulet.lit").toString()).toBe(
      canonical(`<message ${ENV}><amp ${AMP} status="${action}" ${AMP_ADDR}><rule condition="deliver" action="${action}" value="stored"/></amp></message>`),
    );
  });

  it("error is type='error' with undefined-condition and failed-rules in amp#errors", () => {
    const [rule] = rulesOf(`<rule condition="match-resource" action="error" value="exact"/>`);
    const full = ampMessage("", { to: "juliet@capulet.lit/balcony" });
    expect(eventReply(full, rule!, "capulet.lit").toString()).toBe(
      canonical(
        `<message ${ENV} type="error"><amp ${AMP} status="error" from="romeo@montague.lit/orchard" to="juliet@capulet.lit/balcony">` +
          `<rule condition="match-resource" action="error" value="exact"/></amp><error type="modify">` +
          `<undefined-condition xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><failed-rules xmlns="http://jabber.org/protocol/amp#errors">` +
          `<rule condition="match-resource" action="error" value="exact"/></failed-rules></error></message>`,
      ),
    );
  });

  it("works from a stripped stored message (E2/E3) and refuses drop", () => {
    const [alert, drop] = rulesOf(`<rule condition="expire-at" action="alert" value="2004-01-01T00:00:00Z"/><rule condition="deliver" action="drop" value="none"/>`);
    expect(eventReply(stripAmp(original), alert!, "capulet.lit").toString()).toBe(
      canonical(`<message ${ENV}><amp ${AMP} status="alert" ${AMP_ADDR}><rule condition="expire-at" action="alert" value="2004-01-01T00:00:00Z"/></amp></message>`),
    );
    expect(() => eventReply(original, drop!, "capulet.lit")).toThrow(TypeError);
  });
});

describe("validation error replies (DP-03, DP-04, §6.2)", () => {
  function reply(rulesXml: string, opts: Parameters<typeof ampMessage>[1] = {}) {
    const m = ampMessage(rulesXml, opts);
    const req = requestOf(m);
    const r = validateAmp(m, req);
    if (r.ok) throw new Error("fixture is valid");
    return validationErrorReply(m, req, r.kind, r.offending, "montague.lit").toString();
  }
  const FROM = `from="montague.lit" to="romeo@montague.lit/orchard" id="m1" type="error"`;

  it("unsupported-actions: echo of every rule as sent, container lists the offending ones", () => {
    const rules = `<rule condition="deliver" action="bounce" value="none"/><rule condition="deliver" action="drop" value="x" extra="1"/>`;
    expect(reply(rules, { ampAttrs: ` per-hop="true"` })).toBe(
      canonical(
        `<message ${FROM}><amp ${AMP} ${AMP_ADDR}>${rules}</amp><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
          `<unsupported-actions ${AMP}><rule condition="deliver" action="bounce" value="none"/></unsupported-actions></error></message>`,
      ),
    );
  });

  it("unsupported-conditions is bad-request; invalid-rules is not-acceptable", () => {
    expect(reply(`<rule condition="when" action="drop" value="1"/>`)).toContain(`<bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><unsupported-conditions ${AMP}><rule condition="when" action="drop" value="1"/></unsupported-conditions>`);
    expect(reply(`<rule condition="deliver" action="drop"/>`)).toBe(
      canonical(
        `<message ${FROM}><amp ${AMP} ${AMP_ADDR}><rule condition="deliver" action="drop"/></amp><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
          `<invalid-rules ${AMP}><rule condition="deliver" action="drop"/></invalid-rules></error></message>`,
      ),
    );
  });

  it("bad-request without a container; without id when the id is missing (DP-12)", () => {
    const rule = `<rule condition="deliver" action="drop" value="none"/>`;
    expect(reply(rule, { id: null })).toBe(
      canonical(`<message from="montague.lit" to="romeo@montague.lit/orchard" type="error"><amp ${AMP} ${AMP_ADDR}>${rule}</amp><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`),
    );
    expect(reply(rule, { id: "" })).not.toContain("id=");
    expect(reply(rule, { ampAttrs: ` status="alert"` })).toBe(
      canonical(`<message ${FROM}><amp ${AMP} ${AMP_ADDR}>${rule}</amp><error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`),
    );
  });
});

describe("stripAmp (DP-05)", () => {
  it("removes every <amp/> of the AMP namespace and keeps the rest, without touching the original", () => {
    const m = parseElement(
      `<message xmlns="jabber:client" to="a@b" id="1"><body>hi</body><amp xmlns="http://jabber.org/protocol/amp"><rule/></amp><amp xmlns="urn:x"/><thread>t</thread></message>`,
    );
    const before = m.toString();
    expect(stripAmp(m).toString()).toBe(canonical(`<message xmlns="jabber:client" to="a@b" id="1"><body>hi</body><amp xmlns="urn:x"/><thread>t</thread></message>`));
    expect(m.toString()).toBe(before);
    expect(m.getChild("body")!.parent).toBe(m);
  });
});
