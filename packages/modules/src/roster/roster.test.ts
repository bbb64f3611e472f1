import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgliteClient, createRosterStore, migrate, type RosterItem, type RosterStore, type SqlClient } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import { ask, canonical, expectedError } from "../host/testing.ts";
import { createModuleHost, type ModuleHost } from "../host/module-host.ts";
import { roster } from "./roster.ts";

let sql: SqlClient;
let rosters: RosterStore;
let host: ModuleHost;
let owner: string;
let pushes: { to: string; xml: string }[];
let removed: { owner: string; item: RosterItem }[];
let interested: string[];

beforeAll(async () => {
  sql = createPgliteClient();
  await migrate(sql, "core");
  rosters = createRosterStore(sql);
});
afterAll(() => sql.close());
beforeEach(() => {
  owner = `u${randomBytes(5).toString("hex")}@example.com`;
  pushes = [];
  removed = [];
  interested = [];
  host = createModuleHost({
    domains: ["example.com"],
    capabilities: {
      rosters,
      push: async (to: string, el: Element) => void pushes.push({ to, xml: canonical(el) }),
      rosterRemoved: async (o: string, item: RosterItem) => void removed.push({ owner: o, item }),
      interested: async (jid: string) => void interested.push(jid),
    },
  });
  host.load(roster);
});

const R = "jabber:iq:roster";
const me = () => ({ entity: owner, isServer: false, from: `${owner}/desk` });
const iq = (type: string, query: string, id = "r1") => `<iq type="${type}" id="${id}" from="${owner}/desk"><query xmlns="${R}"${query}</iq>`;
const result = (id = "r1", query = "") => canonical(`<iq type="result" id="${id}" to="${owner}/desk">${query}</iq>`);
const setItem = (item: string) => ask(host, iq("set", `>${item}</query>`), me());

describe("roster get (RFC 6121 §2.1.3, XEP-0237)", () => {
  it("returns the roster, with its version only when the client asked for versioning", async () => {
    expect(await ask(host, iq("get", "/>"), me())).toBe(result("r1", `<query xmlns="${R}"/>`));
    expect(await ask(host, iq("get", ` ver=""/>`), me())).toBe(result("r1", `<query xmlns="${R}" ver="0"/>`));
    expect(interested).toEqual([`${owner}/desk`, `${owner}/desk`]);
  });

  it("answers an empty result when the client's version is current, the whole roster otherwise", async () => {
    await setItem(`<item jid="nurse@example.com" name="Nurse"><group>Servants</group></item>`);
    expect(await ask(host, iq("get", ` ver="1"/>`), me())).toBe(result());
    expect(await ask(host, iq("get", ` ver="0"/>`), me())).toBe(
      result("r1", `<query xmlns="${R}" ver="1"><item jid="nurse@example.com" name="Nurse" subscription="none"><group>Servants</group></item></query>`),
    );
  });

  it("hides an item that only remembers a contact's pending request", async () => {
    await rosters.upsert(owner, { jid: "x@example.com", name: null, groups: [], subscription: "none", ask: null, approved: false, pendingIn: true, pendingInStanza: "<presence/>" });
    expect(await ask(host, iq("get", "/>"), me())).toBe(result("r1", `<query xmlns="${R}"/>`));
    const remove = iq("set", `><item jid="x@example.com" subscription="remove"/></query>`);
    expect(await ask(host, remove, me())).toBe(expectedError(remove, "item-not-found"));
  });
});

describe("roster set and remove (RFC 6121 §2.3, §2.4, §2.5)", () => {
  it("adds, updates and removes an item, pushing each change with its version", async () => {
    expect(await setItem(`<item jid="Nurse@Example.com" name="Nurse"><group>Servants</group></item>`)).toBe(result());
    expect(await setItem(`<item jid="nurse@example.com" name="Angelica" subscription="both"/>`)).toBe(result());
    // Unchanged: no new version, no push.
    expect(await setItem(`<item jid="nurse@example.com" name="Angelica"/>`)).toBe(result());
    expect(await setItem(`<item jid="nurse@example.com" subscription="remove"/>`)).toBe(result());
    expect(pushes).toEqual([
      { to: owner, xml: canonical(`<iq xmlns="jabber:client" type="set"><query xmlns="${R}" ver="1"><item jid="nurse@example.com" name="Nurse" subscription="none"><group>Servants</group></item></query></iq>`) },
      { to: owner, xml: canonical(`<iq xmlns="jabber:client" type="set"><query xmlns="${R}" ver="2"><item jid="nurse@example.com" name="Angelica" subscription="none"/></query></iq>`) },
      { to: owner, xml: canonical(`<iq xmlns="jabber:client" type="set"><query xmlns="${R}" ver="3"><item jid="nurse@example.com" subscription="remove"/></query></iq>`) },
    ]);
    expect(removed).toEqual([{ owner, item: expect.objectContaining({ jid: "nurse@example.com", name: "Angelica" }) }]);
    expect(await rosters.get(owner)).toEqual({ version: 3, items: [] });
  });

  it("keeps the subscription state when the client renames an item", async () => {
    await rosters.upsert(owner, { jid: "romeo@example.com", name: null, groups: [], subscription: "both", ask: null, approved: false, pendingIn: false, pendingInStanza: null });
    await setItem(`<item jid="romeo@example.com" name="Romeo" subscription="none"/>`);
    expect(await rosters.item(owner, "romeo@example.com")).toMatchObject({ name: "Romeo", subscription: "both" });
  });

  it("answers each error of §2.3.3 and §2.5.3", async () => {
    const cases: [string, string][] = [
      [`<item jid="a@example.com"/><item jid="b@example.com"/>`, "bad-request"],
      [`<item jid="a@example.com"><group>G</group><group>G</group></item>`, "bad-request"],
      [`<item jid="a@example.com/phone"/>`, "bad-request"],
      [`<item jid="a@@example.com"/>`, "jid-malformed"],
      [`<item jid="a@example.com"><group></group></item>`, "not-acceptable"],
      [`<item jid="a@example.com" name="${"n".repeat(1024)}"/>`, "not-acceptable"],
      [`<item jid="a@example.com"><group>${"g".repeat(1024)}</group></item>`, "not-acceptable"],
      [`<item jid="absent@example.com" subscription="remove"/>`, "item-not-found"],
    ];
    for (const [item, condition] of cases) {
      const text = iq("set", `>${item}</query>`);
      expect([item, await ask(host, text, me())]).toEqual([item, expectedError(text, condition as "bad-request")]);
    }
    expect(pushes).toEqual([]);
  });

  it("is forbidden to anyone but the account, and not offered by the server", async () => {
    const text = iq("get", "/>");
    expect(await ask(host, text, { ...me(), from: "mallory@example.com/x" })).toBe(expectedError(text, "forbidden"));
    expect(await ask(host, text, { entity: "example.com", isServer: true, from: `${owner}/desk` })).toBe(expectedError(text, "service-unavailable"));
  });

  it("refuses a new item beyond the roster size limit with not-allowed", async () => {
    await sql.query(
      `INSERT INTO core.roster (owner, contact, version) SELECT $1, 'c' || i || '@example.com', i FROM generate_series(1, 1000) AS i`, [owner]);
    const text = iq("set", `><item jid="one-more@example.com"/></query>`);
    expect(await ask(host, text, me())).toBe(expectedError(text, "not-allowed"));
    expect(await setItem(`<item jid="c1@example.com" name="still editable"/>`)).toBe(result());
  });
});
