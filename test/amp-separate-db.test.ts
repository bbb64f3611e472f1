// amp.databaseUrl (AMP_DATABASE_URL, like Tigase's --amp-repo-uri): offline storage, expiry and
// the event outbox live in a database of their own, while users and rosters stay in the main one.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createPgClient, createRosterStore, type SqlClient } from "@xmppd/storage";
import { ensureServices, tempDatabase, waitFor, type TempDatabase } from "@xmppd/testkit";
import { parseElement } from "@xmppd/xml";
import { connect, type TestClient } from "./support/clients.ts";
import { startTopology, type Topology } from "./support/topology.ts";

const AMP = "http://jabber.org/protocol/amp";
let ampDb: TempDatabase;
let topo: Topology;
let amp: SqlClient;
let core: SqlClient;
let alice: TestClient;

beforeAll(async () => {
  await ensureServices();
  ampDb = await tempDatabase();
  topo = await startTopology({ gateways: 1, routers: 1, ampWorkers: 1, env: { AMP_DATABASE_URL: ampDb.url, XMPPD__amp__expiryIntervalMs: "200" } });
  for (const u of ["alice", "dave"]) await topo.addUser(u, `${u}-pw`);
  core = createPgClient({ url: topo.databaseUrl });
  amp = createPgClient({ url: ampDb.url });
  await createRosterStore(core).upsert("dave@localhost", { jid: "alice@localhost", name: null, subscription: "both", ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] });
  alice = await connect({ port: topo.of("gateway")[0]!.c2sPort, username: "alice", password: "alice-pw", resource: "phone" });
});

afterAll(async () => {
  await alice?.stop();
  await amp?.close();
  await core?.close();
  await topo?.stop();
  await ampDb?.drop();
});

it("stores, expires and notifies through the AMP database only, reading the roster from the main one", async () => {
  const at = new Date(Date.now() + 1500).toISOString();
  await alice.send(parseElement(
    `<message to="dave@localhost" type="chat" id="sd1"><body>hi</body><amp xmlns="${AMP}"><rule condition="deliver" action="notify" value="stored"/><rule condition="expire-at" action="alert" value="${at}"/></amp></message>`,
  ));
  const notify = await alice.next((el) => el.attrs.id === "sd1" && el.getChild("amp", AMP)?.attrs.status === "notify");
  expect(notify.attrs.from).toBe("localhost");
  const rows = await amp.query<{ owner: string; expires_at: Date }>(`SELECT owner, expires_at FROM amp.offline_messages`);
  expect(rows.rows).toEqual([{ owner: "dave@localhost", expires_at: new Date(at) }]);
  // The main database never got the AMP schema's tables.
  const tables = await core.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'amp'`);
  expect(tables.rows).toEqual([]);
  await alice.next((el) => el.attrs.id === "sd1" && el.getChild("amp", AMP)?.attrs.status === "alert", 6000);
  await waitFor(async () => (await amp.query(`SELECT 1 FROM amp.offline_messages`)).rows.length === 0, { what: "the expired message deleted" });
  // An event is marked sent once the bus has taken it (amp/events.ts), which can be just after
  // alice has it: waited for, not read once.
  const sent = async () => (await amp.query<{ sent: boolean }>(`SELECT sent_at IS NOT NULL AS sent FROM amp.outbox ORDER BY id`)).rows.map((r) => r.sent);
  await waitFor(async () => (await sent()).join() === "true,true", { what: "both events marked sent in the AMP database" });
  expect(await sent()).toEqual([true, true]);
});
