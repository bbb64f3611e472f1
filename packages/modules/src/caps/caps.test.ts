import { describe, expect, it } from "vitest";
import { ask, canonical, hostWith } from "../host/testing.ts";
import { disco } from "../disco/disco.ts";
import { ping } from "../ping/ping.ts";
import { SERVER_CAPS_NODE, capsFeature, capsVerification } from "./caps.ts";

describe("entity capabilities (XEP-0115)", () => {
  it("computes the verification string of XEP-0115 §5.2's example", () => {
    const identities = [{ category: "client", type: "pc", name: "Exodus 0.9.1" }];
    const features = ["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc", "http://jabber.org/protocol/caps"];
    expect(capsVerification(identities, features)).toBe("QgayPKawpkPSDYmwT/WM94uAlu0=");
  });

  it("builds the stream feature and answers disco#info at node#ver (§6.2)", async () => {
    const host = hostWith(disco, ping);
    const ver = capsVerification(host.discoIdentities(), host.discoFeatures());
    expect(canonical(capsFeature(SERVER_CAPS_NODE, host.discoIdentities(), host.discoFeatures()))).toBe(
      canonical(`<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="${SERVER_CAPS_NODE}" ver="${ver}"/>`));
    const iq = `<iq type="get" id="c1" from="romeo@example.com/orchard" to="example.com"><query xmlns="http://jabber.org/protocol/disco#info" node="${SERVER_CAPS_NODE}#${ver}"/></iq>`;
    expect(await ask(host, iq)).toBe(canonical(
      `<iq type="result" id="c1" from="example.com" to="romeo@example.com/orchard"><query xmlns="http://jabber.org/protocol/disco#info" node="${SERVER_CAPS_NODE}#${ver}">` +
      `<identity category="server" type="im"/><feature var="http://jabber.org/protocol/disco#info"/><feature var="http://jabber.org/protocol/disco#items"/><feature var="urn:xmpp:ping"/></query></iq>`));
  });
});
