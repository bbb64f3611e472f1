import { describe, it, expect } from "vitest";
import { ask, canonical, hostWith, ACCOUNT_CTX } from "../host/testing.ts";
import { ping } from "./ping.ts";

describe("ping (XEP-0199)", () => {
  const host = hostWith(ping);

  it("answers a ping to the server with an empty result", async () => {
    const reply = await ask(host, `<iq type="get" id="p1" from="romeo@example.com/orchard" to="example.com"><ping xmlns="urn:xmpp:ping"/></iq>`);
    expect(reply).toBe(canonical(`<iq type="result" id="p1" from="example.com" to="romeo@example.com/orchard"/>`));
  });

  it("answers on an account's behalf too", async () => {
    const reply = await ask(host, `<iq type="get" id="p2" from="romeo@example.com/orchard" to="romeo@example.com"><ping xmlns="urn:xmpp:ping"/></iq>`, ACCOUNT_CTX);
    expect(reply).toBe(canonical(`<iq type="result" id="p2" from="romeo@example.com" to="romeo@example.com/orchard"/>`));
  });

  it("advertises urn:xmpp:ping", () => {
    expect(host.discoFeatures()).toEqual(["urn:xmpp:ping"]);
  });
});
