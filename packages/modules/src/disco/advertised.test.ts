// XEP-0030 §3: a feature served is a feature advertised. Every module loaded as the router loads
// them (router.ts: the default modules, then those needing capabilities), with stand-in
// capabilities; every namespace an IQ handler serves must be in the server's disco#info, and
// the account's own disco#info lists only namespaces served on its behalf.
import { describe, expect, it } from "vitest";
import { NS_DISCO_INFO, NS_SESSION } from "@xmppd/stanza";
import type { RosterStore } from "@xmppd/storage";
import { blocking, carbons, createModuleHost, defaultModules, lastActivity, privateStorage, register, roster, vcard } from "../index.ts";
import { fakeAccountData, fakeBlockStore } from "../host/fake-account-data.ts";
import { ask } from "../host/testing.ts";
import { parseElement } from "@xmppd/xml";

/**
 * Served but announced elsewhere on purpose: the RFC 3921 session, kept for old clients (RFC 6121
 * Appendix E), is a stream feature, never a disco one.
 */
const NOT_IN_DISCO = new Set([NS_SESSION]);

function routerHost() {
  const host = createModuleHost({
    domains: ["example.com"],
    capabilities: {
      rosters: {} as RosterStore,
      push: async () => {},
      interested: async () => {},
      rosterRemoved: async () => {},
      blocking: { store: fakeBlockStore(), requested: async () => {}, changed: async () => {} },
      carbons: { set: async () => {} },
      accountData: fakeAccountData(),
      registration: { changePassword: async () => "changed", remove: async () => {} },
      offline: { forward: async () => {} },
    },
  });
  for (const m of defaultModules) host.load(m);
  for (const m of [roster, carbons, register, blocking, vcard, privateStorage, lastActivity]) host.load(m);
  return host;
}

describe("disco#info advertises every served namespace", () => {
  it("lists each IQ namespace a loaded module answers (XEP-0049 private storage included)", async () => {
    const host = routerHost();
    const reply = await ask(host, `<iq type="get" id="d1" from="romeo@example.com/orchard" to="example.com"><query xmlns="${NS_DISCO_INFO}"/></iq>`);
    const advertised = parseElement(reply!).getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    const served = host.servedNamespaces().filter((ns) => !NOT_IN_DISCO.has(ns));
    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((ns) => !advertised.includes(ns))).toEqual([]);
    expect(advertised).toContain("jabber:iq:private");
    expect(advertised).toContain("jabber:iq:roster");
  });

  it("lists, in the account's own disco#info, only namespaces that are served, XEP-0049 included", async () => {
    const host = routerHost();
    const iq = `<iq type="get" id="d2" from="romeo@example.com/orchard" to="romeo@example.com"><query xmlns="${NS_DISCO_INFO}"/></iq>`;
    const reply = parseElement((await ask(host, iq, { entity: "romeo@example.com", isServer: false, from: "romeo@example.com/orchard" }))!);
    const query = reply.getChild("query")!;
    expect(query.getChildren("identity").map((i) => i.attrs)).toEqual([{ category: "account", type: "registered" }]);
    const advertised = query.getChildren("feature").map((f) => f.attrs.var as string);
    expect(advertised).toEqual(host.accountDiscoFeatures());
    expect(advertised.filter((ns) => !host.servedNamespaces().includes(ns))).toEqual([]);
    expect(advertised).toEqual(expect.arrayContaining(["jabber:iq:private", "jabber:iq:roster", "vcard-temp", "urn:xmpp:blocking"]));
  });
});
