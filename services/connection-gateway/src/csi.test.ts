import { describe, expect, it } from "vitest";
import { parseElement } from "@xmppd/xml";
import { classify, CsiBuffer, csiState } from "./csi.ts";

const COMPOSING = "<message from='bob@localhost/x' to='alice@localhost/a' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>";
const BODY = "<message from='bob@localhost/x' to='alice@localhost/a' type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>";
const presence = (from: string, show: string) => `<presence from='${from}'><show>${show}</show></presence>`;

function buffer(limits = { maxStanzas: 100, maxBytes: 100_000 }) {
  const out: string[] = [];
  return { out, csi: new CsiBuffer(limits, (xml) => out.push(xml)) };
}

describe("client state indication (XEP-0352)", () => {
  it("reads <active/> and <inactive/> in urn:xmpp:csi:0 only", () => {
    expect(csiState(parseElement("<inactive xmlns='urn:xmpp:csi:0'/>"))).toBe("inactive");
    expect(csiState(parseElement("<active xmlns='urn:xmpp:csi:0'/>"))).toBe("active");
    expect(csiState(parseElement("<active xmlns='http://jabber.org/protocol/chatstates'/>"))).toBeNull();
  });

  it("holds availability presence and chat states, nothing else", () => {
    expect(classify(presence("bob@localhost/x", "away"))).toEqual({ hold: true, key: "bob@localhost/x" });
    expect(classify("<presence from='bob@localhost/x' type='unavailable'/>")).toEqual({ hold: true, key: "bob@localhost/x" });
    expect(classify("<presence from='bob@localhost' type='subscribe'/>")).toEqual({ hold: false });
    expect(classify(COMPOSING)).toEqual({ hold: true, key: null });
    expect(classify(BODY)).toEqual({ hold: false });
    expect(classify("<message from='bob@localhost/x'/>")).toEqual({ hold: false });
    expect(classify("<iq type='get' id='1'/>")).toEqual({ hold: false });
  });

  it("writes at once while active", () => {
    const { out, csi } = buffer();
    csi.deliver(COMPOSING);
    expect(out).toEqual([COMPOSING]);
  });

  it("keeps the latest presence per full JID and flushes in order before a message with a body", () => {
    const { out, csi } = buffer();
    csi.setActive(false);
    csi.deliver(presence("bob@localhost/x", "away"));
    csi.deliver(COMPOSING);
    csi.deliver(presence("carol@localhost/y", "dnd"));
    csi.deliver(presence("bob@localhost/x", "xa"));
    expect(out).toEqual([]);
    csi.deliver(BODY);
    expect(out).toEqual([COMPOSING, presence("carol@localhost/y", "dnd"), presence("bob@localhost/x", "xa"), BODY]);
  });

  it("flushes on <active/> and when the buffer reaches the outbound limit", () => {
    const { out, csi } = buffer({ maxStanzas: 3, maxBytes: 100_000 });
    csi.setActive(false);
    csi.deliver(presence("a@localhost/1", "away"));
    csi.setActive(true);
    expect(out).toEqual([presence("a@localhost/1", "away")]);
    csi.setActive(false);
    for (const n of [2, 3, 4]) csi.deliver(presence(`a@localhost/${n}`, "away"));
    expect(out).toHaveLength(4);
    expect(csi.size()).toBe(0);
  });
});
