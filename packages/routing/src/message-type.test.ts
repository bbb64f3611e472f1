import { describe, it, expect } from "vitest";
import { parseElement } from "@xmppd/xml";
import { messageType } from "./message-type.ts";

describe("messageType (RFC 6121 §5.2.2)", () => {
  it("keeps the known types and treats missing or unknown ones as normal", () => {
    for (const t of ["chat", "error", "groupchat", "headline", "normal"]) expect(messageType(parseElement(`<message type="${t}"/>`))).toBe(t);
    expect(messageType(parseElement(`<message/>`))).toBe("normal");
    expect(messageType(parseElement(`<message type="CHAT"/>`))).toBe("normal");
    expect(messageType(parseElement(`<message type=""/>`))).toBe("normal");
  });
});
