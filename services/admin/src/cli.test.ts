// The CLI as an operator runs it: a separate process against a throwaway Postgres database.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDatabase, uniqueId } from "@xmppd/testkit";
import type { TempDatabase } from "@xmppd/testkit";
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

describe("admin CLI process against Postgres", () => {
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
