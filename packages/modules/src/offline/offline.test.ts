import { describe, it, expect } from "vitest";
import type { Element } from "@xmppd/xml";
import { createModuleHost } from "../host/module-host.ts";
import { ACCOUNT_CTX, ask, canonical, expectedError, hostWith } from "../host/testing.ts";
import { disco } from "../disco/disco.ts";
import { offline } from "./offline.ts";

const OFFLINE = "http://jabber.org/protocol/offline";

function flexHost(): { host: ReturnType<typeof createModuleHost>; forwarded: { iq: string; from: string }[] } {
  const forwarded: { iq: string; from: string }[] = [];
  const host = createModuleHost({ domains: ["example.com"], capabilities: { offline: { forward: async (iq: Element, from: string) => void forwarded.push({ iq: canonical(iq), from }) } } });
  host.load(disco);
  host.load(offline);
  return { host, forwarded };
}

describe("offline (XEP-0160) without the offline capability", () => {
  const host = hostWith(offline);

  it("advertises msgoffline only and handles no IQ", async () => {
    expect(host.discoFeatures()).toEqual(["msgoffline"]);
    const iq = `<iq type="get" id="o1"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`;
    expect(await ask(host, iq, ACCOUNT_CTX)).toBe(expectedError(iq, "service-unavailable"));
  });
});

describe("offline (XEP-0013) with the offline capability", () => {
  it("advertises the protocol at the server (§2.1)", () => {
    expect(flexHost().host.discoFeatures()).toEqual(["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", OFFLINE, "msgoffline"]);
  });

  it("forwards the account's own disco requests on the offline node and every command, answering nothing itself", async () => {
    const { host, forwarded } = flexHost();
    const requests = [
      `<iq type="get" id="a"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"/></iq>`,
      `<iq type="get" id="b"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}"/></iq>`,
      `<iq type="get" id="c"><offline xmlns="${OFFLINE}"><item action="view" node="7"/><item action="view" node="9"/></offline></iq>`,
      `<iq type="set" id="d"><offline xmlns="${OFFLINE}"><item action="remove" node="7"/></offline></iq>`,
      `<iq type="get" id="e"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`,
      `<iq type="set" id="f"><offline xmlns="${OFFLINE}"><purge/></offline></iq>`,
    ];
    for (const iq of requests) expect(await ask(host, iq, ACCOUNT_CTX)).toBeNull();
    expect(forwarded).toEqual(requests.map((iq) => ({ iq: canonical(iq), from: "romeo@example.com/orchard" })));
  });

  it("answers forbidden to another account's resource (§2.3-§2.7)", async () => {
    const { host, forwarded } = flexHost();
    const iq = `<iq type="get" id="x" from="mercutio@example.com/pda" to="romeo@example.com"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}"/></iq>`;
    expect(await ask(host, iq, { entity: "romeo@example.com", isServer: false, from: "mercutio@example.com/pda" })).toBe(expectedError(iq, "forbidden"));
    const fetch = `<iq type="get" id="y" from="mercutio@example.com/pda" to="romeo@example.com"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`;
    expect(await ask(host, fetch, { entity: "romeo@example.com", isServer: false, from: "mercutio@example.com/pda" })).toBe(expectedError(fetch, "forbidden"));
    expect(forwarded).toEqual([]);
  });

  it("answers bad-request to malformed commands and forwards none of them", async () => {
    const { host, forwarded } = flexHost();
    const bad = [
      `<iq type="set" id="1"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`,
      `<iq type="get" id="2"><offline xmlns="${OFFLINE}"><purge/></offline></iq>`,
      `<iq type="set" id="3"><offline xmlns="${OFFLINE}"><item action="view" node="1"/></offline></iq>`,
      `<iq type="get" id="4"><offline xmlns="${OFFLINE}"><item action="remove" node="1"/></offline></iq>`,
      `<iq type="get" id="5"><offline xmlns="${OFFLINE}"><item action="view" node="1"/><item action="remove" node="2"/></offline></iq>`,
      `<iq type="get" id="6"><offline xmlns="${OFFLINE}"><item action="view"/></offline></iq>`,
      `<iq type="get" id="7"><offline xmlns="${OFFLINE}"/></iq>`,
      `<iq type="get" id="8"><offline xmlns="${OFFLINE}"><item action="peek" node="1"/></offline></iq>`,
    ];
    for (const iq of bad) expect(await ask(host, iq, ACCOUNT_CTX)).toBe(expectedError(iq, "bad-request"));
    expect(forwarded).toEqual([]);
  });

  it("leaves other account nodes and the server's offline node alone", async () => {
    const { host, forwarded } = flexHost();
    const other = `<iq type="get" id="o"><query xmlns="http://jabber.org/protocol/disco#info" node="urn:other"/></iq>`;
    expect(await ask(host, other, ACCOUNT_CTX)).toBe(expectedError(other, "service-unavailable"));
    const atServer = `<iq type="get" id="s" from="romeo@example.com/orchard" to="example.com"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"/></iq>`;
    expect(await ask(host, atServer)).toBe(expectedError(atServer, "item-not-found"));
    expect(forwarded).toEqual([]);
  });
});
