import { describe, expect, it } from "vitest";
import { parseElement } from "@xmppd/xml";
import { createModuleHost } from "../host/module-host.ts";
import { ACCOUNT_CTX, SERVER_CTX, ask, canonical, expectedError } from "../host/testing.ts";
import { carbonCopy, carbons, isCarbonEligible } from "./carbons.ts";

const C = "urn:xmpp:carbons:2";

describe("carbons (XEP-0280)", () => {
  it("enables and disables carbons for the sending resource (§4, §5)", async () => {
    const set: [string, boolean][] = [];
    const host = createModuleHost({ domains: ["example.com"], capabilities: { carbons: { set: async (j, on) => void set.push([j, on]) } } });
    host.load(carbons);
    const enable = `<iq type="set" id="e1" from="romeo@example.com/orchard"><enable xmlns="${C}"/></iq>`;
    expect(await ask(host, enable, ACCOUNT_CTX)).toBe(canonical(`<iq type="result" id="e1" to="romeo@example.com/orchard"/>`));
    const disable = `<iq type="set" id="e2" from="romeo@example.com/orchard" to="example.com"><disable xmlns="${C}"/></iq>`;
    expect(await ask(host, disable, SERVER_CTX)).toBe(canonical(`<iq type="result" id="e2" from="example.com" to="romeo@example.com/orchard"/>`));
    expect(set).toEqual([["romeo@example.com/orchard", true], ["romeo@example.com/orchard", false]]);
    const other = `<iq type="set" id="e3" from="romeo@example.com/orchard" to="juliet@example.com"><enable xmlns="${C}"/></iq>`;
    expect(await ask(host, other, { ...ACCOUNT_CTX, entity: "juliet@example.com" })).toBe(expectedError(other, "forbidden"));
  });

  it("finds eligible messages as §6.1 says", () => {
    const ok = (x: string) => isCarbonEligible(parseElement(x));
    expect(ok(`<message type="chat"/>`)).toBe(true);
    expect(ok(`<message><body>hi</body></message>`)).toBe(true);
    expect(ok(`<message type="normal"/>`)).toBe(false);
    expect(ok(`<message><active xmlns="http://jabber.org/protocol/chatstates"/></message>`)).toBe(true);
    expect(ok(`<message><received xmlns="urn:xmpp:receipts" id="x"/></message>`)).toBe(true);
    expect(ok(`<message type="chat"><body>x</body><private xmlns="${C}"/></message>`)).toBe(false);
    expect(ok(`<message type="chat"><body>x</body><no-copy xmlns="urn:xmpp:hints"/></message>`)).toBe(false);
    expect(ok(`<message type="groupchat"><body>x</body></message>`)).toBe(false);
    expect(ok(`<message type="headline"><body>x</body></message>`)).toBe(false);
    expect(ok(`<message type="error"><body>x</body></message>`)).toBe(false);
    expect(ok(`<message type="chat"><received xmlns="${C}"/></message>`)).toBe(false);
  });

  it("wraps the original in <forwarded/> inside <received/> or <sent/>", () => {
    const copy = carbonCopy("sent", `<message to="juliet@example.com" from="romeo@example.com/a" type="chat"><body>hi</body></message>`, "romeo@example.com", "romeo@example.com/b", "chat");
    expect(canonical(copy)).toBe(canonical(
      `<message xmlns="jabber:client" from="romeo@example.com" to="romeo@example.com/b" type="chat"><sent xmlns="${C}"><forwarded xmlns="urn:xmpp:forward:0">` +
      `<message xmlns="jabber:client" to="juliet@example.com" from="romeo@example.com/a" type="chat"><body>hi</body></message></forwarded></sent></message>`));
  });
});
