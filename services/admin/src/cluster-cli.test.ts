// migrate, stats, amp-queue, check-config and import-users as an operator runs them: the CLI as a
// separate process against real Postgres, Redis and NATS, each run in its own database and
// cluster name. (kick needs a live gateway: test/cluster-runner-admin.test.ts.)
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ampQueue, createNatsBus, subjects } from "@xmppd/bus";
import { createMechanism } from "@xmppd/sasl";
import { createOfflineStore, createPgClient, createUserStore } from "@xmppd/storage";
import { SERVICE_URLS, ensureServices, tempDatabase, uniqueId, type TempDatabase } from "@xmppd/testkit";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const MIGRATIONS = fileURLToPath(new URL("../../../packages/storage/src/migrations", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "xmppd-admin-"));
let db: TempDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  await ensureServices();
  db = await tempDatabase();
  env = {
    PATH: process.env.PATH,
    DATABASE_URL: db.url,
    REDIS_URL: SERVICE_URLS.redisUrl,
    NATS_URL: SERVICE_URLS.natsUrl,
    XMPPD__cluster: uniqueId("adm"),
  };
});
afterAll(async () => db?.drop());

function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", MAIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const versions = (set: string) => readdirSync(join(MIGRATIONS, set)).filter((f) => f.endsWith(".sql")).map((f) => Number.parseInt(f, 10)).sort((a, b) => a - b);

describe("admin migrate, stats and amp-queue", { timeout: 60_000 }, () => {
  it("migrate applies every migration of both schemas once, then reports them up to date", async () => {
    const first = await admin("--json", "migrate");
    expect(first.stderr).toBe("");
    const core = versions("core");
    const amp = versions("amp");
    expect(JSON.parse(first.stdout)).toEqual({ ok: true, schemas: [
      { set: "core", applied: core, version: core.at(-1) },
      { set: "amp", applied: amp, version: amp.at(-1) },
    ] });
    const again = await admin("migrate");
    expect(again).toMatchObject({ code: 0, stdout: `core: up to date (version ${core.at(-1)})\namp: up to date (version ${amp.at(-1)})\n` });
  });

  it("amp-queue says so when no worker has created the stream yet", async () => {
    const r = await admin("amp-queue");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`stream ${subjects(env.XMPPD__cluster).ampStream()} does not exist yet: no AMP worker or router has opened the queue in this cluster\n`);
  });

  it("stats and amp-queue count users, queued work and stored offline messages", async () => {
    for (const user of ["alice", "bob"]) expect((await admin("register", user, "localhost", "pw")).code).toBe(0);
    const names = subjects(env.XMPPD__cluster);
    const amp = ampQueue(names, 32); // amp.partitions' default, which the CLI reads too
    const bus = await createNatsBus({ url: SERVICE_URLS.natsUrl, name: "admin-test" });
    const queue = await bus.workQueue(amp.spec);
    const owners = ["alice@localhost", "bob@localhost", "carol@localhost"];
    for (const owner of owners) await queue.publish(amp.subject("message", owner), new TextEncoder().encode(`{"to":"${owner}"}`), { msgId: owner });
    const busy = new Set(owners.map((o) => amp.subject("message", o)));
    const sql = createPgClient({ url: db.url });
    await createOfflineStore(sql).store({ key: "k1", owner: "alice@localhost", sender: "bob@localhost/x", stanza: "<message/>", orderKey: "1", expiresAt: null, meta: undefined }, 100);
    await sql.close();
    try {
      const stats = await admin("--json", "stats");
      expect(JSON.parse(stats.stdout)).toEqual({ ok: true, users: 2, sessions: 0, ampPending: 3, offlineMessages: 1 });
      const table = await admin("stats");
      expect(table.stdout.split("\n").map((l) => l.replace(/\s+/g, " "))).toEqual([
        "STATISTIC VALUE", "registered users 2", "online sessions 0", "AMP queue pending 3", "offline messages 1", "",
      ]);
      const q = JSON.parse((await admin("amp-queue", "--json")).stdout);
      expect({ ...q, consumers: q.consumers.length }).toEqual({
        ok: true, stream: names.ampStream(), exists: true, messages: 3, pending: 3, ackPending: 0, redelivered: 0, waiting: 0, consumers: 32,
      });
      const text = (await admin("amp-queue")).stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
      expect(text[1]).toBe(`${names.ampStream()} 32 3 3 0 0 0`);
      expect(text.slice(4).filter(Boolean).length, text.join("\n")).toBe(busy.size);
    } finally {
      await bus.deleteWorkQueue(amp.spec);
      await bus.close();
    }
  });

  it("names the variable to set when a server is not configured", async () => {
    const saved = env;
    env = { PATH: process.env.PATH, DATABASE_URL: db.url };
    const r = await admin("stats");
    env = saved;
    expect(r).toMatchObject({ code: 1, stderr: "xmppd-admin: sessions live in Redis: set REDIS_URL\n" });
  });
});

describe("admin check-config", { timeout: 30_000 }, () => {
  it("prints every problem with its key and exits 1", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "domains: [example.com]\ngateway:\n  c2sPort: seventy\nbogus: 1\n");
    env.XMPPD__router__ops__port = "-1";
    const r = await admin("check-config", file);
    delete env.XMPPD__router__ops__port;
    expect(r.code).toBe(1);
    const keys = r.stdout.trim().split("\n").map((line) => line.split(":")[0]).sort();
    expect(keys).toEqual(["bogus", "gateway.c2sPort", "router.ops.port"]);
    expect(r.stdout).toContain("[from env XMPPD__router__ops__port]");
    expect(r.stderr).toBe("xmppd-admin: invalid configuration (3 problems)\n");
    const json = await admin("--json", "check-config", file);
    expect(JSON.parse(json.stdout).problems.map((p: { key: string }) => p.key).sort()).toEqual(["bogus", "gateway.c2sPort"]);
  });

  it("accepts a valid file", async () => {
    const file = join(dir, "good.yaml");
    writeFileSync(file, "domains: [example.com]\ngateway: { c2sPort: 5222 }\n");
    expect(await admin("check-config", file)).toMatchObject({ code: 0, stdout: "configuration is valid (domains: example.com)\n" });
  });
});

describe("admin import-users", { timeout: 30_000 }, () => {
  it("imports the good rows, reports the bad ones by line number and exits 1", async () => {
    const csv = join(dir, "users.csv");
    writeFileSync(csv, [
      "username,password", "carol,secret1", 'dave@localhost,"pa,ss ""q"""', "eve", "x@y@z,pw", "carol,again", "frank,", '"unterminated,pw', "", "grace,pw3",
    ].join("\n"));
    const r = await admin("import-users", csv, "--domain", "localhost");
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toEqual([
      "line 4: expected 2 fields (username,password), got 1",
      "line 5: invalid account: x@y@z",
      "line 6: user already exists",
      "line 7: empty password",
      "line 8: unterminated quoted field",
      "imported 3 of 8 rows",
    ]);
    // Not a terminal: plain counts, no carriage returns.
    expect(r.stderr).toBe("processed 1/8\nprocessed 2/8\nprocessed 3/8\nprocessed 4/8\nprocessed 5/8\nprocessed 6/8\nprocessed 7/8\nprocessed 8/8\nxmppd-admin: 5 rows not imported\n");
    expect(JSON.parse((await admin("--json", "users", "localhost")).stdout).users).toEqual(expect.arrayContaining(["carol", "dave", "grace"]));

    const sql = createPgClient({ url: db.url });
    const users = createUserStore(sql);
    const mech = createMechanism("PLAIN", async (name) => (await users.get("localhost", name))?.scram ?? null);
    expect((await mech.step(Buffer.from('\0dave\0pa,ss "q"'))).kind).toBe("success");
    await sql.close();
  });
});
