// Every admin command against `npm start` (embedded: no REDIS_URL, DATABASE_URL or NATS_URL), as
// against a cluster: the CLI reaches the running server through its admin.json. Passwords come as
// an argument, from standard input, or typed at a prompt without echo (a pseudo-terminal).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { connect, xml, type TestClient } from "./support/clients.ts";
import { ROOT, admin, startStandalone, type AdminResult, type StandaloneProcess } from "./support/standalone-process.ts";

let server: StandaloneProcess;
const open: TestClient[] = [];
const run = (...args: string[]): Promise<AdminResult> => admin(server.env, args);
const json = (r: AdminResult): Record<string, unknown> => JSON.parse(r.stdout) as Record<string, unknown>;
const login = async (username: string, password: string, resource?: string): Promise<TestClient> => {
  const c = await connect({ port: server.c2sPort, username, password, resource });
  open.push(c);
  return c;
};

beforeAll(async () => {
  server = await startStandalone();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await server?.stop();
});

describe("admin CLI against the embedded standalone", () => {
  it("registers with the password as an argument, lists users, changes and removes accounts", async () => {
    expect(await run("register", "alice", "localhost", "alice-pw")).toMatchObject({ code: 0, stdout: "registered alice@localhost\n" });
    expect(await run("register", "alice", "localhost", "x")).toMatchObject({ code: 1, stderr: "xmppd-admin: user already exists\n" });
    expect(await run("register", "zed", "localhost", "zed-pw")).toMatchObject({ code: 0 });
    expect(json(await run("--json", "users", "localhost"))).toEqual({ ok: true, domain: "localhost", users: ["alice", "zed"] });
    expect(await run("passwd", "zed", "localhost", "zed-pw2")).toMatchObject({ code: 0, stdout: "password changed for zed@localhost\n" });
    expect(await run("unregister", "zed", "localhost")).toMatchObject({ code: 0, stdout: "unregistered zed@localhost\n" });
    expect(await run("unregister", "zed", "localhost")).toMatchObject({ code: 1, stderr: "xmppd-admin: no such user: zed@localhost\n" });
  });

  it("reads the password from standard input when it is not a terminal, and the account logs in with it", async () => {
    expect(await admin(server.env, ["register", "piped", "localhost"], "piped-pw\n")).toMatchObject({ code: 0, stdout: "registered piped@localhost\n", stderr: "" });
    await login("piped", "piped-pw");
    expect(await admin(server.env, ["passwd", "piped", "localhost"], "new-pw\r\nignored second line\n")).toMatchObject({ code: 0 });
    await login("piped", "new-pw");
  });

  it("refuses an empty password with an error that says so, from stdin or as an argument", async () => {
    const fromStdin = await admin(server.env, ["register", "nopw", "localhost"], "");
    expect(fromStdin).toMatchObject({ code: 1, stdout: "" });
    expect(fromStdin.stderr).toBe("xmppd-admin: empty password (standard input was empty): give one as an argument, type it at the prompt, or pipe it on standard input\n");
    const emptyLine = await admin(server.env, ["passwd", "alice", "localhost"], "\n");
    expect(emptyLine.stderr).toMatch(/^xmppd-admin: empty password \(the first line of standard input was empty\)/);
    const argument = await run("--json", "register", "nopw", "localhost", "");
    expect(argument.code).toBe(1);
    expect(json(argument)).toEqual({ ok: false, error: { code: "invalid", message: expect.stringMatching(/^empty password \(the argument is empty\)/) } });
    // SASLprep refuses control characters: the server says that, not "internal error".
    const prohibited = await run("register", "nopw", "localhost", "a\u0007b");
    expect(prohibited).toMatchObject({ code: 1 });
    expect(prohibited.stderr).toMatch(/^xmppd-admin: password refused: SASLprep \(RFC 4013\) forbids/);
    expect(json(await run("--json", "users", "localhost")).users).not.toContain("nopw");
  });

  it("prompts twice without echo on a terminal, and refuses two different passwords", async () => {
    const typed = await onTerminal(["register", "tty", "localhost"], ["tty-secret-1", "tty-secret-1"]);
    expect(typed.code).toBe(0);
    expect(typed.output).toContain("Password:");
    expect(typed.output).toContain("Repeat password:");
    expect(typed.output).toContain("registered tty@localhost");
    expect(typed.output).not.toContain("tty-secret-1");
    await login("tty", "tty-secret-1");

    const mismatch = await onTerminal(["register", "tty2", "localhost"], ["one", "two"]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.output).toContain("xmppd-admin: the passwords typed do not match");
  });

  it("kicks a session: its client gets <policy-violation/> and the session is gone", async () => {
    const victim = await login("alice", "alice-pw", "kicked");
    expect(json(await run("--json", "sessions")).sessions).toEqual(expect.arrayContaining([expect.objectContaining({ jid: "alice@localhost/kicked" })]));
    const kicked = await run("kick", "alice@localhost/kicked", "--reason", "bye now");
    expect(kicked).toMatchObject({ code: 0, stderr: "" });
    expect(kicked.stdout).toMatch(/^kicked alice@localhost\/kicked \(gateway gateway-[0-9a-f]{12}\)\n$/);
    await waitFor(() => victim.nonzas.some((el) => el.name === "stream:error" && el.getChild("policy-violation") !== undefined), { timeoutMs: 5000, what: "stream error" });
    expect(victim.nonzas.find((el) => el.name === "stream:error")?.getChildText("text")).toBe("bye now");
    expect(json(await run("--json", "sessions")).sessions).not.toEqual(expect.arrayContaining([expect.objectContaining({ jid: "alice@localhost/kicked" })]));
    expect(await run("kick", "alice@localhost/nobody")).toMatchObject({ code: 1, stderr: "xmppd-admin: no session alice@localhost/nobody\n" });
  });

  it("reports stats, the AMP queue and migrations", async () => {
    await login("alice", "alice-pw", "stats");
    const stats = json(await run("--json", "stats"));
    expect(stats).toEqual({ ok: true, users: 3, sessions: expect.any(Number), ampPending: 0, offlineMessages: 0 });
    expect(stats.sessions).toBeGreaterThanOrEqual(1);
    expect((await run("stats")).stdout).toMatch(/^STATISTIC +VALUE\nregistered users +3\n/);

    const queue = await run("amp-queue");
    expect(queue).toMatchObject({ code: 0, stderr: "" });
    expect(queue.stdout).toBe("in-process AMP queue of the embedded server: 0 messages not yet acknowledged\n");
    expect(json(await run("--json", "amp-queue"))).toMatchObject({ ok: true, stream: "in-process", exists: true, messages: 0 });

    const migrated = await run("migrate");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/^core: up to date \(version \d+\)\namp: up to date \(version \d+\)\n$/);
  });

  it("lists and purges an offline account's stored messages", async () => {
    expect(await run("register", "offline", "localhost", "offline-pw")).toMatchObject({ code: 0 });
    const alice = await login("alice", "alice-pw", "sender");
    await alice.send(xml("message", { to: "offline@localhost", type: "chat", id: "m1" }, xml("body", {}, "kept for later")));
    let listed: Record<string, unknown> = {};
    await waitFor(async () => ((listed = json(await run("--json", "amp-messages", "offline", "localhost"))).messages as unknown[]).length === 1, { timeoutMs: 10_000, what: "stored message" });
    expect((listed.messages as { sender: string; stanza: string }[])[0]).toMatchObject({ sender: "alice@localhost/sender", stanza: expect.stringContaining("kept for later") });
    expect((await run("amp-messages", "offline", "localhost")).stdout).toMatch(/1 stored messages, 0 with an expiry\n$/);
    expect(json(await run("--json", "stats")).offlineMessages).toBe(1);
    expect(await run("amp-purge", "offline", "localhost")).toMatchObject({ code: 0, stdout: "deleted 1 stored messages\n" });
    expect((json(await run("--json", "amp-messages", "offline", "localhost")).messages as unknown[]).length).toBe(0);
  });

  it("imports users from CSV, prints Redis ACL lines, checks the configuration, and says why grant does not apply", async () => {
    const csv = join(server.dataDir, "users.csv");
    writeFileSync(csv, "username,password\ncsv1,pw1\ncsv2@localhost,pw2\n");
    expect(await run("import-users", csv, "--domain", "localhost")).toMatchObject({ code: 0, stdout: "imported 2 of 2 rows\n" });
    await login("csv2", "pw2");

    const pwFile = join(server.dataDir, "pw");
    writeFileSync(pwFile, "secret\n");
    const acl = await run("redis-acl", "--print", "--router-user", "r", "--router-password-file", pwFile, "--amp-user", "a", "--amp-password-file", pwFile);
    expect(acl.code).toBe(0);
    expect(acl.stdout).toMatch(/^user r on /);

    expect(await run("check-config")).toMatchObject({ code: 0, stdout: "configuration is valid (domains: localhost)\n" });

    const grant = await run("grant", "--router-role", "r", "--amp-role", "a");
    expect(grant).toMatchObject({ code: 1, stderr: "xmppd-admin: grant gives Postgres roles their privileges: the embedded database (PGlite) has no roles; set DATABASE_URL to run it on Postgres\n" });
  });
});

/** Runs the admin CLI on a pseudo-terminal (script(1)), typing each answer once its prompt is shown. */
function onTerminal(args: string[], answers: string[]): Promise<{ code: number; output: string }> {
  const command = [process.execPath, join(ROOT, "dist/admin.js"), ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: ROOT, env: server.env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let answered = 0;
  const onData = (d: Buffer): void => {
    output += d.toString();
    // Each answer only once its prompt is on the terminal: by then readline has turned echo off.
    const shown = (output.match(/Password:|Repeat password:/g) ?? []).length;
    for (; answered < Math.min(shown, answers.length); answered++) child.stdin.write(`${answers[answered]}\r`);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, output }));
  });
}
