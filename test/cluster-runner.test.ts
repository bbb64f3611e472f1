// `npm run cluster` as a developer runs it: a child process that starts the topology, prints its
// ports, serves real clients (alice and bob on different gateways chat) and on SIGTERM stops
// every process it started and drops its throwaway database.
import { connect as natsConnect } from "nats";
import { natsConnectOptions } from "@xmppd/bus";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { hashPassword } from "@xmppd/sasl";
import { createPgClient, createUserStore } from "@xmppd/storage";
import { subjects } from "@xmppd/bus";
import { SERVICE_URLS } from "@xmppd/testkit";
import { connect, isChat, xml, type TestClient } from "./support/clients.ts";
import { isAlive, startRunner, stopRunner, type RunningCluster } from "./support/cluster-runner.ts";

let runner: RunningCluster | undefined;
const clients: TestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  if (runner) await stopRunner(runner);
});

describe("npm run cluster", () => {
  it("runs 2 gateways, 2 routers and 3 AMP workers that serve a chat, and stops them all on SIGTERM", async () => {
    const cluster = await startRunner(["--gateways", "2", "--routers", "2", "--amp-workers", "3"]);
    runner = cluster;
    expect(cluster.pids.length, cluster.output()).toBe(7);
    expect(cluster.c2sPorts.length).toBe(2);
    expect(cluster.pids.every(isAlive)).toBe(true);

    const sql = await createPgClient({ url: cluster.databaseUrl });
    const users = createUserStore(sql);
    for (const name of ["alice", "bob"]) await users.create({ domain: "localhost", username: name, scram: hashPassword(`${name}-pw`, { iterations: 4096 }) });
    await sql.close();

    const alice = await connect({ port: cluster.c2sPorts[0]!, username: "alice", password: "alice-pw" });
    const bob = await connect({ port: cluster.c2sPorts[1]!, username: "bob", password: "bob-pw" });
    clients.push(alice, bob);
    await alice.send(xml("message", { to: "bob@localhost", type: "chat", id: "m1" }, xml("body", {}, "hello through the runner")));
    const got = await bob.next(isChat("alice@localhost"));
    expect(got.getChildText("body")).toBe("hello through the runner");
    await bob.send(xml("message", { to: alice.jid, type: "chat", id: "m2" }, xml("body", {}, "hello back")));
    expect((await alice.next(isChat("bob@localhost"))).getChildText("body")).toBe("hello back");

    const clusterName = /^cluster (\S+),/m.exec(cluster.output())?.[1] as string;
    // Its own NATS server, which refuses anyone without credentials; the admin's identity reads the queue.
    const { NATS_URL: url, XMPPD__nats__caFile: caFile, XMPPD__nats__seedFile: seedFile } = cluster.adminEnv as Record<string, string>;
    expect(url).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    await expect(natsConnect({ servers: url, tls: { caFile }, reconnect: false })).rejects.toThrow(/Authorization/i);
    const nc = await natsConnect({ ...natsConnectOptions({ url: url!, name: "test", seedFile, caFile }), reconnect: false });
    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info(subjects(clusterName).ampStream())).config.name).toBe(subjects(clusterName).ampStream());

    expect(await stopRunner(cluster), cluster.output()).toBe(0);
    expect(cluster.output()).toMatch(/SIGTERM: stopping 7 processes\nstopped/);
    expect(cluster.pids.filter(isAlive)).toEqual([]);

    const admin = new pg.Client({ connectionString: SERVICE_URLS.pgAdminUrl });
    await admin.connect();
    const name = new URL(cluster.databaseUrl).pathname.slice(1);
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    await admin.end();
    expect(rowCount, `${name} dropped`).toBe(0);

    // Its NATS server, with the work queue, goes with it.
    await nc.closed();
    await expect(natsConnect({ servers: url, reconnect: false })).rejects.toThrow(/CONNECTION_REFUSED|ECONNREFUSED/);
  }, 150_000);
});
