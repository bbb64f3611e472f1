// The CLI as an operator runs it: a separate process against a throwaway Postgres database.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDatabase, uniqueId } from "@xmppd/testkit";
import type { TempDatabase } from "@xmppd/testkit";
import { createOfflineStore, createPgClient, migrate } from "@xmppd/storage";
import { runCli } from "./cli.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
let db: TempDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  db = await tempDatabase();
  env = { PATH: process.env.PATH, DATABASE_URL: db.url, REDIS_URL: "redis://127.0.0.1:6379", XMPPD__cluster: uniqueId("adm") };
});
afterAll(async () => db?.drop());

function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", MAIN, ...args], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

// Each test starts up to six CLI processes (tsx compiles each on start, 1-3 s on a busy 2-core
// machine): the budget is per process started, not the default per test.
describe("admin CLI process against Postgres", { timeout: 60_000 }, () => {
  it("registers, refuses a duplicate, lists, and reports sessions as JSON", async () => {
    const first = await admin("--json", "register", "alice", "localhost", "secret");
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(first.stdout)).toEqual({ ok: true, jid: "alice@localhost" });

    const again = await admin("register", "alice", "localhost", "secret", "--json");
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe("xmppd-admin: user already exists");
    expect(JSON.parse(again.stdout)).toEqual({ ok: false, error: { code: "exists", message: "user already exists" } });

    const users = await admin("--json", "users", "localhost");
    expect(JSON.parse(users.stdout)).toEqual({ ok: true, domain: "localhost", users: ["alice"] });

    const sessions = await admin("--json", "sessions", "--limit", "5");
    expect(sessions.code).toBe(0);
    expect(JSON.parse(sessions.stdout)).toEqual({ ok: true, total: 0, sessions: [] });
  });

  it("changes a password and unregisters, in plain text", async () => {
    await admin("register", "bob", "localhost", "one");
    expect(await admin("passwd", "bob", "localhost", "two")).toMatchObject({ code: 0, stdout: "password changed for bob@localhost\n" });
    expect(await admin("unregister", "bob", "localhost")).toMatchObject({ code: 0, stdout: "unregistered bob@localhost\n" });
    const gone = await admin("unregister", "bob", "localhost");
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe("xmppd-admin: no such user: bob@localhost\n");
  });
});

describe("admin CLI: XEP-0079 stored messages", () => {
  it("lists an account's stored messages with their expiry and rules, and purges the expirable ones, then the rest", async () => {
    await admin("register", "dora", "localhost", "pw");
    const sql = createPgClient({ url: db.url });
    await migrate(sql, "amp");
    const offline = createOfflineStore(sql);
    const rules = { amp: { rules: [{ condition: "deliver", action: "notify", value: "stored" }, { condition: "expire-at", action: "alert", value: "2030-01-01T00:00:00Z" }], fired: [true, false] } };
    await offline.store({ key: "k1", owner: "dora@localhost", sender: "eve@localhost/pad", stanza: "<message id='m1'/>", orderKey: "1", expiresAt: new Date("2030-01-01T00:00:00Z"), meta: rules }, 100);
    await offline.store({ key: "k2", owner: "dora@localhost", sender: "eve@localhost/pad", stanza: "<message id='m2'/>", orderKey: "2", expiresAt: null, meta: null }, 100);
    await sql.close();

    const listed = await admin("amp-messages", "dora", "localhost");
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +STORED AT +FROM +EXPIRES AT +RULES$/);
    expect(lines[1]).toMatch(/eve@localhost\/pad +2030-01-01T00:00:00.000Z +deliver=stored:notify \(fired\), expire-at=2030-01-01T00:00:00Z:alert$/);
    expect(lines[2]).toMatch(/eve@localhost\/pad +- +-$/);
    expect(lines[3]).toBe("2 stored messages, 1 with an expiry");
    const json = JSON.parse((await admin("--json", "amp-messages", "dora", "localhost")).stdout);
    expect(json.messages.map((m: { expiresAt: string | null }) => m.expiresAt)).toEqual(["2030-01-01T00:00:00.000Z", null]);

    expect(await admin("amp-purge", "dora", "localhost", "--expirable-only")).toMatchObject({ code: 0, stdout: "deleted 1 stored messages\n" });
    expect(JSON.parse((await admin("--json", "amp-purge", "dora", "localhost")).stdout)).toEqual({ ok: true, deleted: 1 });
    expect((await admin("amp-messages", "dora", "localhost")).stdout).toBe("0 stored messages, 0 with an expiry\n");
    expect((await admin("amp-messages", "dora", "elsewhere.example")).stderr).toMatch(/domain elsewhere\.example is not served/);
  });
});

describe("admin CLI: unregister takes the account's stored messages with it", () => {
  it("deletes them, so none reaches a new account of the same name", async () => {
    await admin("register", "fred", "localhost", "pw");
    const sql = createPgClient({ url: db.url });
    await migrate(sql, "amp");
    await createOfflineStore(sql).store({ key: "f1", owner: "fred@localhost", sender: "eve@localhost/pad", stanza: "<message id='f1'/>", orderKey: "1", expiresAt: null, meta: null }, 100);
    expect(await admin("unregister", "fred", "localhost")).toMatchObject({ code: 0, stdout: "unregistered fred@localhost\n" });
    const left = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM amp.offline_messages WHERE owner = 'fred@localhost'`);
    await sql.close();
    expect(left.rows[0]!.n).toBe(0);
  });
});

describe("admin CLI usage errors", () => {
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    let opened = false;
    const code = await runCli(argv, {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      open: async () => {
        opened = true;
        throw new Error("no backend in this test");
      },
    });
    return { code, out, err, opened };
  };

  it("exits 2 without touching a backend on a missing argument, unknown command or bad --limit", async () => {
    for (const argv of [["register", "alice"], ["frobnicate"], ["sessions", "--limit", "zero"], []]) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.opened).toBe(false);
    }
  });

  it("exits 0 for --help", async () => {
    expect((await run("--help")).code).toBe(0);
  });

  it("exits 1 with one line when the backend cannot be opened", async () => {
    const r = await run("users", "localhost");
    expect(r).toMatchObject({ code: 1, err: ["xmppd-admin: no backend in this test"] });
  });
});
