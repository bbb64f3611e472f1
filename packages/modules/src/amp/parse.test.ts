import { describe, expect, it } from "vitest";
import { parseElement } from "@xmppd/xml";
import { parseAmp } from "./parse.ts";
import { ampMessage } from "./test-helpers.ts";

describe("parseAmp", () => {
  it("keeps the rules in document order with their raw attributes", () => {
    const m = ampMessage(
      `<rule condition="deliver" action="drop" value="stored"/><other/><rule action="notify" value=""/><rule condition="x"/>`,
      { ampAttrs: ` per-hop="true" status="alert"` },
    );
    const req = parseAmp(m)!;
    expect(req.perHop).toBe("true");
    expect(req.status).toBe("alert");
    expect(req.element).toBe(m.getChild("amp", "http://jabber.org/protocol/amp"));
    expect(req.rules.map(({ index, condition, action, value }) => ({ index, condition, action, value }))).toEqual([
      { index: 0, condition: "deliver", action: "drop", value: "stored" },
      { index: 1, condition: undefined, action: "notify", value: "" },
      { index: 2, condition: "x", action: undefined, value: undefined },
    ]);
  });

  it("has no per-hop or status when they are absent", () => {
    const req = parseAmp(ampMessage(`<rule condition="deliver" action="drop" value="none"/>`))!;
    expect(req.perHop).toBeUndefined();
    expect(req.status).toBeUndefined();
  });

  it("returns null without an <amp/> in the AMP namespace", () => {
    expect(parseAmp(parseElement(`<message id="1"><body>x</body></message>`))).toBeNull();
    expect(parseAmp(parseElement(`<message id="1"><amp xmlns="urn:other"><rule/></amp></message>`))).toBeNull();
  });

  it("ignores <amp/> in iq and presence (DP-17)", () => {
    const amp = `<amp xmlns="http://jabber.org/protocol/amp"><rule condition="deliver" action="drop" value="none"/></amp>`;
    expect(parseAmp(parseElement(`<iq type="set" id="1">${amp}</iq>`))).toBeNull();
    expect(parseAmp(parseElement(`<presence>${amp}</presence>`))).toBeNull();
  });

  it("does not count rules of another namespace", () => {
    const req = parseAmp(ampMessage(`<rule xmlns="urn:other" condition="deliver" action="drop" value="none"/>`))!;
    expect(req.rules).toEqual([]);
  });
});
