// Every condition x value x action against each disposition, end to end: @xmpp/client users on
// two gateways, a router and two AMP workers as separate processes. What each party receives is
// asserted as exact stanzas, written from XEP-0079 and the decisions (DP-04, DP-05, DP-07, DP-08,
// DP-09, DP-18), not from the code. services/amp-worker/src/amp/combinations.test.ts runs the same
// table in-process; this one proves it over real sockets.
//
// "Nothing else arrived" needs a barrier: after each case alice sends the same recipient a second
// message whose notify always fires. An account's AMP work is handled in order (one partition per
// owner, invariant 2), so once the barrier's event (and, for bob, the barrier itself) is in, every
// effect of the case is too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgClient, type SqlClient } from "@xmppd/storage";
import { parseElement as parse, type Element } from "@xmppd/xml";
import { useCluster } from "./support/cluster.ts";
import type { TestClient } from "./support/clients.ts";
import { canonical } from "./support/stanzas.ts";

const AMP = "http://jabber.org/protocol/amp";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const ALICE = "alice@localhost/phone";
const cluster = useCluster({ gateways: 2, routers: 1, ampWorkers: 2, env: { XMPPD__amp__security: "none" } }, ["alice", "bob", "carol"]);

type Scenario = "direct-bare" | "direct-full" | "stored" | "none";
const TARGET: Record<Scenario, string> = { "direct-bare": "bob@localhost", "direct-full": "bob@localhost/desk", stored: "carol@localhost", none: "nobody@localhost" };
/** The deliver value that describes each scenario (DP-07): the barrier's always-met rule. */
const DELIVER: Record<Scenario, string> = { "direct-bare": "direct", "direct-full": "direct", stored: "stored", none: "none" };

/** Whether the condition is met (XEP-0079 §3.3; match-resource per the DP-09 table). */
function met(condition: string, value: string, sc: Scenario): boolean {
  if (condition === "deliver") return value === DELIVER[sc];
  if (condition === "expire-at") return value.startsWith("2001");
  const direct = sc === "direct-bare" || sc === "direct-full";
  if (value === "any") return direct;
  if (value === "exact") return sc === "direct-full" || sc === "stored";
  return sc === "direct-bare";
}

const CASES: [string, string][] = [
  ...["direct", "forward", "gateway", "none", "stored"].map((v): [string, string] => ["deliver", v]),
  ...["any", "exact", "other"].map((v): [string, string] => ["match-resource", v]),
  ["expire-at", "2001-01-01T00:00:00Z"],
  ["expire-at", "2999-01-01T00:00:00Z"],
];
const ACTIONS = ["alert", "drop", "error", "notify"];

const rule = (condition: string, action: string, value: string) => `<rule condition="${condition}" action="${action}" value="${value}"/>`;
const message = (to: string, id: string, r: string) =>
  `<message to="${to}" type="chat" id="${id}"><body>hello ${id}</body><amp xmlns="${AMP}">${r}</amp></message>`;
const withId = (id: string) => (el: Element) => el.name === "message" && el.attrs.id === id;

/** What alice, bob and carol's offline store should show for one case. */
function expected(sc: Scenario, condition: string, value: string, action: string, id: string) {
  const to = TARGET[sc];
  const r = rule(condition, action, value);
  const isMet = met(condition, value, sc);
  // The default behaviour runs unless a met rule other than notify overrode it (DP-08, DP-18).
  const runsDefault = !isMet || action === "notify";
  const toAlice: string[] = [];
  if (isMet && action === "error") {
    toAlice.push(`<message from="localhost" to="${ALICE}" id="${id}" type="error"><amp xmlns="${AMP}" status="error" from="${ALICE}" to="${to}">${r}</amp>` +
      `<error type="modify"><undefined-condition xmlns="${STANZAS}"/><failed-rules xmlns="${AMP}#errors">${r}</failed-rules></error></message>`);
  } else if (isMet && action !== "drop") {
    toAlice.push(`<message from="localhost" to="${ALICE}" id="${id}"><amp xmlns="${AMP}" status="${action}" from="${ALICE}" to="${to}">${r}</amp></message>`);
  }
  if (runsDefault && sc === "none") {
    toAlice.push(`<message from="nobody@localhost" to="${ALICE}" id="${id}" type="error"><error type="cancel"><service-unavailable xmlns="${STANZAS}"/></error></message>`);
  }
  const toBob = runsDefault && sc.startsWith("direct") ? [`<message from="${ALICE}" to="${to}" type="chat" id="${id}"><body>hello ${id}</body></message>`] : [];
  return { toAlice: toAlice.map((s) => canonical(s)).sort(), toBob: toBob.map((s) => canonical(s)), stored: runsDefault && sc === "stored" ? [id] : [] };
}

let sql: SqlClient;
let alice: TestClient;
let bob: TestClient;
beforeAll(async () => {
  sql = createPgClient({ url: cluster.topo.databaseUrl });
  alice = await cluster.login(0, "alice", { resource: "phone" });
  bob = await cluster.login(1, "bob", { resource: "desk" });
});
afterAll(() => sql?.close());

async function storedIds(owner: string): Promise<string[]> {
  const res = await sql.query<{ stanza: string }>(`SELECT stanza FROM amp.offline_messages WHERE owner = $1 ORDER BY id`, [owner]);
  return res.rows.map((row) => /id="([^"]*)"/.exec(row.stanza)?.[1] ?? "");
}

let seq = 0;
describe.each(Object.keys(TARGET) as Scenario[])("disposition %s", (sc) => {
  it.each(CASES.flatMap(([c, v]) => ACTIONS.map((a) => [c, v, a])))("%s=%s, action %s", async (condition, value, action) => {
    seq += 1;
    const id = `c${seq}`;
    const barrier = `b${seq}`;
    const to = TARGET[sc];
    await alice.send(parse(message(to, id, rule(condition!, action!, value!))));
    await alice.send(parse(message(to, barrier, rule("deliver", "notify", DELIVER[sc]))));
    await alice.next((el) => withId(barrier)(el) && el.getChild("amp", AMP)?.attrs.status === "notify");
    if (sc.startsWith("direct")) await bob.next(withId(barrier));

    const want = expected(sc, condition!, value!, action!, id);
    expect(alice.inbox.filter(withId(id)).map((el) => canonical(el)).sort()).toEqual(want.toAlice);
    expect(bob.inbox.filter(withId(id)).map((el) => canonical(el))).toEqual(want.toBob);
    if (sc === "stored") {
      expect(await storedIds("carol@localhost")).toEqual([...want.stored, barrier]);
      await sql.query(`DELETE FROM amp.offline_messages WHERE owner = $1`, ["carol@localhost"]);
    }
  });
});
