// XEP-0079 §9 security levels end to end (DP-11): one cluster serving three domains, each with its
// own level through amp.domainSecurity (strict by default, performance, none). In each domain the
// sender is once a subscriber of the recipient (roster item subscription='from') and once not, and
// the recipient is once online and once offline: the answer depends on the level and the
// subscription, never on the recipient's presence.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "@xmppd/sasl";
import { createPgClient, createRosterStore, createUserStore, type SqlClient } from "@xmppd/storage";
import { parseElement as parse, type Element } from "@xmppd/xml";
import { connect, type TestClient } from "./support/clients.ts";
import { useCluster } from "./support/cluster.ts";
import { canonical } from "./support/stanzas.ts";

const AMP = "http://jabber.org/protocol/amp";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const LEVELS = { localhost: "strict", "perf.localhost": "performance", "open.localhost": "none" } as const;
type Domain = keyof typeof LEVELS;
const DOMAINS = Object.keys(LEVELS) as Domain[];

const cluster = useCluster({
  gateways: 1, routers: 1, ampWorkers: 1,
  env: {
    XMPPD__domains: JSON.stringify(DOMAINS),
    XMPPD__amp__domainSecurity: JSON.stringify({ "perf.localhost": "performance", "open.localhost": "none" }),
  },
}, ["friend", "stranger"]);

let sql: SqlClient;
const clients: TestClient[] = [];
let friend: TestClient;
let stranger: TestClient;
beforeAll(async () => {
  sql = createPgClient({ url: cluster.topo.databaseUrl });
  const users = createUserStore(sql);
  const rosters = createRosterStore(sql);
  const scram = hashPassword("rcpt-pw", { iterations: 4096 });
  for (const domain of DOMAINS) {
    await users.create({ domain, username: "rcpt", scram });
    // The recipient lets friend@localhost see its presence; stranger@localhost is not on its roster.
    await rosters.upsert(`rcpt@${domain}`, { jid: "friend@localhost", name: null, subscription: "from", ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] });
  }
  friend = await cluster.login(0, "friend", { resource: "r" });
  stranger = await cluster.login(0, "stranger", { resource: "r" });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await sql?.close();
});

const NOTIFY = `<rule condition="deliver" action="notify" value="direct"/><rule condition="deliver" action="notify" value="stored"/>`;
const DROP = `<rule condition="expire-at" action="drop" value="2001-01-01T00:00:00Z"/>`;
const withId = (id: string) => (el: Element) => el.name === "message" && el.attrs.id === id;
let seq = 0;

/**
 * Sends an AMP message and returns every stanza with its id that the sender got. A barrier follows
 * it: a second message to the same recipient whose notify rules always get exactly one answer
 * (an event or a refusal); an owner's AMP work is handled in order, so by then the first is done.
 */
async function exchange(sender: TestClient, to: string, rules: string): Promise<{ id: string; replies: string[] }> {
  const id = `s${++seq}`;
  await sender.send(parse(`<message to="${to}" type="chat" id="${id}"><body>hi</body><amp xmlns="${AMP}">${rules}</amp></message>`));
  await sender.send(parse(`<message to="${to}" type="chat" id="${id}-b"><body>hi</body><amp xmlns="${AMP}">${NOTIFY}</amp></message>`));
  await sender.next(withId(`${id}-b`));
  return { id, replies: sender.inbox.filter(withId(id)).map((el) => canonical(el)) };
}

const refusal = (from: string, id: string, to: string, rules: string, refused: string) => canonical(
  `<message from="${to.split("@")[1]}" to="${from}" id="${id}" type="error"><amp xmlns="${AMP}" from="${from}" to="${to}">${rules}</amp>` +
    `<error type="modify"><not-acceptable xmlns="${STANZAS}"/><invalid-rules xmlns="${AMP}">${refused}</invalid-rules></error></message>`,
);
const notify = (from: string, id: string, to: string, value: string) => canonical(
  `<message from="${to.split("@")[1]}" to="${from}" id="${id}"><amp xmlns="${AMP}" status="notify" from="${from}" to="${to}"><rule condition="deliver" action="notify" value="${value}"/></amp></message>`,
);

/** Whether a level lets this sender have events (DP-11). */
const allowed = (level: string, isSubscriber: boolean) => level === "none" || (level === "strict" && isSubscriber);

describe.each(DOMAINS)("recipient in %s", (domain) => {
  const level = LEVELS[domain];
  const to = `rcpt@${domain}`;

  it.each([["offline", false], ["online", true]] as const)(`${level}: the recipient %s; a subscriber and a stranger ask for notify`, async (_state, online) => {
    let rcpt: TestClient | undefined;
    if (online) {
      rcpt = await connect({ port: cluster.topo.of("gateway")[0]!.c2sPort, domain, username: "rcpt", password: "rcpt-pw", resource: "desk" });
      clients.push(rcpt);
    }
    for (const [sender, isSubscriber] of [[friend, true], [stranger, false]] as const) {
      const { id, replies } = await exchange(sender, to, NOTIFY);
      if (allowed(level, isSubscriber)) {
        expect(replies).toEqual([notify(sender.jid, id, to, online ? "direct" : "stored")]);
      } else {
        expect(replies).toEqual([refusal(sender.jid, id, to, NOTIFY, NOTIFY)]);
      }
      // A refused message is neither delivered nor stored (DP-11).
      const delivered = rcpt?.inbox.some(withId(id)) ?? false;
      const stored = (await sql.query(`SELECT 1 FROM amp.offline_messages WHERE owner = $1 AND stanza LIKE $2`, [to, `%id="${id}"%`])).rows.length > 0;
      expect({ delivered, stored }).toEqual({ delivered: allowed(level, isSubscriber) && online, stored: allowed(level, isSubscriber) && !online });
    }
    await rcpt?.stop();
    await sql.query(`DELETE FROM amp.offline_messages WHERE owner = $1`, [to]);
  });

  it(`${level}: a drop-only ruleset is processed for a stranger (drop reveals nothing)`, async () => {
    const { id, replies } = await exchange(stranger, to, DROP);
    expect(replies).toEqual([]);
    const stored = await sql.query(`SELECT 1 FROM amp.offline_messages WHERE owner = $1 AND stanza LIKE $2`, [to, `%id="${id}"%`]);
    expect(stored.rows).toEqual([]);
  });
});
