// `npm start`: the whole server in one process on embedded defaults (in-process bus, in-memory
// sessions, PGlite), TLS required with a generated certificate. Users are created with the admin
// CLI while it runs; @xmpp/client and go-sendxmpp log in with SCRAM over STARTTLS and chat.
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, waitFor } from "@xmppd/testkit";
import { connect, isChat, xml, type TestClient } from "./support/clients.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
let server: ChildProcess;
let output = "";
let port: number;
let env: Record<string, string>;
const open: TestClient[] = [];

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "xmppd-standalone-"));
  port = await freePort();
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  env = {
    ...(process.env as Record<string, string>),
    XMPPD__dataDir: dataDir,
    XMPPD__gateway__c2sPort: String(port),
    XMPPD__gateway__tlsPort: "0",
    XMPPD__gateway__httpsPort: "0",
    XMPPD__gateway__httpPort: "0",
    XMPPD__gateway__ops__port: String(ports[0]),
    XMPPD__router__ops__port: String(ports[1]),
    XMPPD__amp__ops__port: String(ports[2]),
  };
  for (const k of ["NATS_URL", "REDIS_URL", "DATABASE_URL", "AMP_DATABASE_URL", "XMPPD_CONFIG"]) delete env[k];
  server = spawn(process.execPath, ["--import", "tsx", "services/standalone/src/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  server.stdout!.on("data", (d) => (output += d));
  server.stderr!.on("data", (d) => (output += d));
  await waitFor(async () => existsSync(join(dataDir, "admin.json")) && (await fetch(`http://127.0.0.1:${ports[0]}/readyz`).then((r) => r.ok, () => false)), { timeoutMs: 60_000, intervalMs: 200 }).catch((e: unknown) => {
    throw new Error(`standalone did not start:\n${output}`, { cause: e });
  });
  for (const [user, pw] of [["alice", "alice-pw"], ["sam", "sam-pw"]]) {
    await run(process.execPath, ["--import", "tsx", "services/admin/src/main.ts", "register", user!, "localhost", pw!], { cwd: ROOT, env });
  }
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.stop()));
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
});

it("prints how to create a user and connect a client", () => {
  expect(output).toContain("npm run admin -- register");
  expect(output).toContain(String(port));
});

// go-sendxmpp is optional in .ci/run (not every Debian release carries it).
const hasGoSendxmpp = spawnSync("sh", ["-c", "command -v go-sendxmpp"]).status === 0;

it.skipIf(!hasGoSendxmpp)("lets @xmpp/client and go-sendxmpp log in over STARTTLS and chat", async () => {
  const alice = await connect({ port, username: "alice", password: "alice-pw", resource: "web" });
  open.push(alice);
  await run("sh", ["-c", `echo 'hello from go' | go-sendxmpp -u sam@localhost -p sam-pw -j 127.0.0.1:${port} -n alice@localhost`], { timeout: 30_000 });
  const m = await alice.next(isChat("sam@localhost"));
  expect(m.getChildText("body")).toBe("hello from go");
  expect(String(m.attrs.from)).toMatch(/^sam@localhost\/.+/);
});

it("lets slixmpp log in with SCRAM over STARTTLS and hold a conversation", async () => {
  const alice = await connect({ port, username: "alice", password: "alice-pw", resource: "desk" });
  open.push(alice);
  const answered = alice.next((m) => isChat("sam@localhost/py")(m)).then((m) =>
    alice.send(xml("message", { to: m.attrs.from, type: "chat", id: "re" }, xml("body", {}, `re: ${m.getChildText("body")}`))),
  );
  const { stdout } = await run("/usr/bin/python3", ["test/peers/slixmpp_chat.py", "sam@localhost/py", "sam-pw", String(port), "alice@localhost/desk", "hi from python"], { cwd: ROOT, timeout: 40_000 });
  const result = JSON.parse(stdout.trim().split("\n").pop()!);
  await answered;
  expect(result).toMatchObject({ error: null, tls: true, bound: "sam@localhost/py", reply: "re: hi from python", reply_from: "alice@localhost/desk" });
  expect(result.mechanism).toMatch(/^SCRAM-SHA-(1|256)$/);
});

it("lists the session with the admin CLI", async () => {
  open.push(await connect({ port, username: "alice", password: "alice-pw", resource: "listed" }));
  const { stdout } = await run(process.execPath, ["--import", "tsx", "services/admin/src/main.ts", "sessions", "--json"], { cwd: ROOT, env });
  const listed = JSON.parse(stdout) as { total: number; sessions: { jid: string }[] };
  expect(listed.sessions.map((s) => s.jid)).toContain("alice@localhost/listed");
  expect(listed.total).toBe(listed.sessions.length);
});

it("stops cleanly on SIGTERM", async () => {
  server.kill("SIGTERM");
  const code = await new Promise<number | null>((r) => server.once("exit", r));
  expect(code).toBe(0);
});
