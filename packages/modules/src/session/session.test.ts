import { describe, it, expect } from "vitest";
import { ask, canonical, hostWith } from "../host/testing.ts";
import { session } from "./session.ts";

describe("session (RFC 3921 legacy)", () => {
  const host = hostWith(session);

  it("answers <session/> with an empty result", async () => {
    const reply = await ask(host, `<iq type="set" id="s1" from="romeo@example.com/orchard" to="example.com"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>`);
    expect(reply).toBe(canonical(`<iq type="result" id="s1" from="example.com" to="romeo@example.com/orchard"/>`));
  });

  it("is not advertised", () => {
    expect(host.discoFeatures()).toEqual([]);
  });
});
