import { describe, it, expect } from "vitest";
import { ask, canonical, expectedError, hostWith, ACCOUNT_CTX } from "../host/testing.ts";
import { disco } from "./disco.ts";
import { ping } from "../ping/ping.ts";
import { offline } from "../offline/offline.ts";
import { session } from "../session/session.ts";

const INFO = `<iq type="get" id="d1" from="romeo@example.com/orchard" to="example.com"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`;

describe("disco (XEP-0030)", () => {
  const host = hostWith(disco, ping, offline, session);

  it("lists the server identity and exactly the loaded modules' features", async () => {
    expect(await ask(host, INFO)).toBe(
      canonical(
        `<iq type="result" id="d1" from="example.com" to="romeo@example.com/orchard"><query xmlns="http://jabber.org/protocol/disco#info">` +
          `<identity category="server" type="im"/>` +
          `<feature var="http://jabber.org/protocol/disco#info"/><feature var="http://jabber.org/protocol/disco#items"/>` +
          `<feature var="msgoffline"/><feature var="urn:xmpp:ping"/></query></iq>`,
      ),
    );
  });

  it("drops a module's feature when it is unloaded", async () => {
    const h = hostWith(disco, ping);
    h.unload("ping");
    expect(await ask(h, INFO)).not.toContain("urn:xmpp:ping");
    expect(h.discoFeatures()).toEqual(["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items"]);
  });

  it("has no items", async () => {
    const iq = `<iq type="get" id="d2" from="romeo@example.com/orchard" to="example.com"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`;
    expect(await ask(host, iq)).toBe(
      canonical(`<iq type="result" id="d2" from="example.com" to="romeo@example.com/orchard"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`),
    );
  });

  it("answers item-not-found for any node", async () => {
    const iq = `<iq type="get" id="d3" from="romeo@example.com/orchard" to="example.com"><query xmlns="http://jabber.org/protocol/disco#info" node="x"/></iq>`;
    expect(await ask(host, iq)).toBe(expectedError(iq, "item-not-found"));
  });

  it("answers an account's own disco#info with what is served on its behalf", async () => {
    const iq = `<iq type="get" id="d4" from="romeo@example.com/orchard" to="romeo@example.com"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`;
    expect(await ask(host, iq, ACCOUNT_CTX)).toBe(
      canonical(
        `<iq type="result" id="d4" from="romeo@example.com" to="romeo@example.com/orchard"><query xmlns="http://jabber.org/protocol/disco#info">` +
          `<identity category="account" type="registered"/>` +
          `<feature var="http://jabber.org/protocol/disco#info"/><feature var="urn:xmpp:ping"/></query></iq>`,
      ),
    );
  });

  it("declines disco#info on another account, and disco#items on any (service-unavailable)", async () => {
    const other = `<iq type="get" id="d5" from="juliet@example.com/balcony" to="romeo@example.com"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`;
    expect(await ask(host, other, { ...ACCOUNT_CTX, from: "juliet@example.com/balcony" })).toBe(expectedError(other, "service-unavailable"));
    const items = `<iq type="get" id="d6" from="romeo@example.com/orchard" to="romeo@example.com"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`;
    expect(await ask(host, items, ACCOUNT_CTX)).toBe(expectedError(items, "service-unavailable"));
  });
});
