import { describe, expect, it } from "vitest";
import { parseElement } from "@xmppd/xml";
import { ask, canonical, hostWith } from "../host/testing.ts";
import { disco } from "../disco/disco.ts";
import { ping } from "../ping/ping.ts";
import { SERVER_CAPS_NODE, capsFeature, capsVerification, capsVerificationOf } from "./caps.ts";

describe("entity capabilities (XEP-0115)", () => {
  it("computes the verification string of XEP-0115 §5.2's example", () => {
    const identities = [{ category: "client", type: "pc", name: "Exodus 0.9.1" }];
    const features = ["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc", "http://jabber.org/protocol/caps"];
    expect(capsVerification(identities, features)).toBe("QgayPKawpkPSDYmwT/WM94uAlu0=");
  });

  it("computes §5.3's complex example from the disco#info itself: xml:lang identities and an extended-info form", () => {
    const query = parseElement(
      `<query xmlns="http://jabber.org/protocol/disco#info" node="http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w=">` +
        `<identity xml:lang="en" category="client" name="Psi 0.11" type="pc"/><identity xml:lang="el" category="client" name="Ψ 0.11" type="pc"/>` +
        `<feature var="http://jabber.org/protocol/caps"/><feature var="http://jabber.org/protocol/disco#info"/>` +
        `<feature var="http://jabber.org/protocol/disco#items"/><feature var="http://jabber.org/protocol/muc"/>` +
        `<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:dataforms:softwareinfo</value></field>` +
        `<field var="ip_version"><value>ipv4</value><value>ipv6</value></field><field var="os"><value>Mac</value></field>` +
        `<field var="os_version"><value>10.5.1</value></field><field var="software"><value>Psi</value></field>` +
        `<field var="software_version"><value>0.11</value></field></x></query>`);
    expect(capsVerificationOf(query)).toBe("q07IKJEyjvHSyhy//CH0CxmKi8w=");
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
