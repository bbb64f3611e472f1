import { parseElement } from "@xmppd/xml";
import { describe, expect, it } from "vitest";
import { STANZA_ERROR_CONDITIONS, STANZA_ERROR_TYPES } from "./conditions.ts";
import { errorReply, iqResult, isError } from "./replies.ts";

const iqGet = parseElement(`<iq xmlns='jabber:client' from='romeo@example.net/orchard' to='juliet@example.com' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>`);

describe("errorReply (RFC 6120 §8.3)", () => {
  it("swaps to/from, keeps id, and uses the §8.3.3 default type", () => {
    expect(errorReply(iqGet, "service-unavailable")?.toString()).toBe(
      `<iq xmlns="jabber:client" to="romeo@example.net/orchard" from="juliet@example.com" type="error" id="v1">` +
        `<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`,
    );
  });

  it("takes type, text and from from the options", () => {
    const msg = parseElement(`<message from='a@x/r' to='b@x' id='m1' type='chat'><body>hi</body></message>`);
    expect(errorReply(msg, "not-acceptable", { type: "cancel", text: "too <long>", from: "x" })?.toString()).toBe(
      `<message to="a@x/r" from="x" type="error" id="m1"><error type="cancel">` +
        `<not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
        `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">too &lt;long&gt;</text></error></message>`,
    );
  });

  it("omits addresses the original did not have", () => {
    const presence = parseElement(`<presence type='subscribe'/>`);
    expect(errorReply(presence, "forbidden")?.toString()).toBe(
      `<presence type="error"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`,
    );
  });

  it("never answers an error or an IQ result", () => {
    expect(errorReply(parseElement(`<message type='error' id='e'/>`), "bad-request")).toBeNull();
    expect(errorReply(parseElement(`<iq type='error' id='e'/>`), "bad-request")).toBeNull();
    expect(errorReply(parseElement(`<iq type='result' id='r'/>`), "bad-request")).toBeNull();
    expect(errorReply(parseElement(`<message type='result' id='r'/>`), "bad-request")).not.toBeNull();
  });

  it("has a default type for each of the 22 conditions of §8.3.3", () => {
    expect(STANZA_ERROR_CONDITIONS.length).toBe(22);
    expect(STANZA_ERROR_TYPES).toMatchObject({
      "bad-request": "modify", forbidden: "auth", "item-not-found": "cancel",
      "recipient-unavailable": "wait", "resource-constraint": "wait", "subscription-required": "auth",
    });
    for (const condition of STANZA_ERROR_CONDITIONS) {
      const reply = errorReply(iqGet, condition);
      expect(reply?.getChild("error")?.attrs.type).toBe(STANZA_ERROR_TYPES[condition]);
      expect(reply?.getChild("error")?.getChild(condition, "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    }
  });
});

describe("iqResult", () => {
  it("answers a get with an empty result or one payload", () => {
    expect(iqResult(iqGet).toString()).toBe(
      `<iq xmlns="jabber:client" to="romeo@example.net/orchard" from="juliet@example.com" type="result" id="v1"/>`,
    );
    const payload = parseElement(`<query xmlns='jabber:iq:version'><name>xmppd</name></query>`);
    expect(iqResult(iqGet, payload).toString()).toBe(
      `<iq xmlns="jabber:client" to="romeo@example.net/orchard" from="juliet@example.com" type="result" id="v1">` +
        `<query xmlns="jabber:iq:version"><name>xmppd</name></query></iq>`,
    );
  });

  it("refuses to answer anything but an iq get or set", () => {
    expect(() => iqResult(parseElement(`<iq type='result' id='r'/>`))).toThrow(TypeError);
    expect(() => iqResult(parseElement(`<message type='get'/>`))).toThrow(TypeError);
  });
});

describe("isError", () => {
  it("is true only for type='error'", () => {
    expect(isError(parseElement(`<message type='error'/>`))).toBe(true);
    expect(isError(parseElement(`<message type='chat'/>`))).toBe(false);
    expect(isError(parseElement(`<message/>`))).toBe(false);
  });
});
