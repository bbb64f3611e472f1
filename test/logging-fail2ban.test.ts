// The operator's log (docs/logging.md): connections, logins, failed logins, registrations and kicks
// of real clients against `npm start`, one JSON line each in a fixed shape; and the fail2ban filter
// (deploy/fail2ban/filter.d/xmppd.conf) run on those very lines: in JavaScript, translated as
// fail2ban reads it, always; with fail2ban-regex too where it is installed (Debian: fail2ban).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@xmppd/testkit";
import { connect, type TestClient } from "./support/clients.ts";
import { rawTls } from "./support/raw-tls.ts";
import { ROOT, admin, startStandalone, type StandaloneProcess } from "./support/standalone-process.ts";

const FILTER = join(ROOT, "deploy/fail2ban/filter.d/xmppd.conf");
type Line = Record<string, unknown>;

let server: StandaloneProcess;
const clients: TestClient[] = [];
const events = (): Line[] => server.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Line).filter((l) => "event" in l);
const rawLines = (event: string): string[] => server.output().split("\n").filter((l) => l.includes(`"event":"${event}"`));
const until = (what: string, match: (l: Line) => boolean) => waitFor(() => events().some(match), { timeoutMs: 10_000, what });

beforeAll(async () => {
  server = await startStandalone({ XMPPD__registration__enabled: "true" });
  expect(await admin(server.env, ["register", "alice", "localhost", "alice-pw"])).toMatchObject({ code: 0 });
  // A successful login, two failed ones (a wrong password, an account that does not exist).
  clients.push(await connect({ port: server.c2sPort, username: "alice", password: "alice-pw", resource: "desk" }));
  for (const username of ["alice", "mallory"]) {
    await expect(connect({ port: server.c2sPort, username, password: "guess" })).rejects.toThrow(/not-authorized/);
  }
  await until("two failed logins", () => events().filter((l) => l.event === "login.failed").length === 2);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

describe("operator log lines", () => {
  it("logs a login, the bound session and the connection with the client's address and transport", () => {
    const conn = events().find((l) => l.event === "login")?.conn;
    const mine = events().filter((l) => l.conn === conn);
    expect(mine.map((l) => l.event)).toEqual(["connection.open", "login", "session.bound"]);
    const [open, login, bound] = mine;
    expect(open).toMatchObject({ level: 30, component: "connection-gateway", msg: "connection opened", ip: "127.0.0.1", transport: "tcp", conn: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(login).toMatchObject({ level: 30, component: "session-router", msg: "login", ip: "127.0.0.1", ipReportedBy: open!.gateway, jid: "alice@localhost", mechanism: expect.stringMatching(/^SCRAM-SHA-/), transport: "tcp" });
    expect(bound).toMatchObject({ msg: "session bound", ip: "127.0.0.1", jid: "alice@localhost/desk", mechanism: login!.mechanism, transport: "tcp" });
  });

  it("logs each failed login with the account as attempted, the address, the mechanism and the SASL condition", () => {
    const failed = events().filter((l) => l.event === "login.failed");
    expect(failed.map((l) => [l.account, l.ip, l.condition, l.transport])).toEqual([
      ["alice@localhost", "127.0.0.1", "not-authorized", "tcp"],
      ["mallory@localhost", "127.0.0.1", "not-authorized", "tcp"],
    ]);
    for (const l of failed) expect(l.mechanism).toMatch(/^SCRAM-SHA-|^PLAIN$/);
    // The documented key order: event, ip first; the account (the client's choice) last.
    for (const raw of rawLines("login.failed")) expect(raw).toMatch(/"event":"login\.failed","ip":"127\.0\.0\.1","mechanism":"[^"]+","condition":"not-authorized",.*"account":"[^"]+","msg":"login failed"\}$/);
  });

  it("logs registrations, in-band and by the admin, and a kick with the connection's close", async () => {
    expect(events().find((l) => l.event === "registration")).toMatchObject({ jid: "alice@localhost", via: "admin", msg: "account registered" });
    const s = await rawTls("starttls", server.c2sPort);
    await s.open();
    s.write("<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>ib</username><password>ib-pw</password></query></iq>");
    await s.take(/<iq [^>]*type=["']result["']/);
    s.end();
    await until("in-band registration", (l) => l.event === "registration" && l.via === "in-band");
    expect(events().find((l) => l.event === "registration" && l.via === "in-band")).toMatchObject({ jid: "ib@localhost", ip: "127.0.0.1", transport: "tcp" });

    const kicked = await admin(server.env, ["kick", "alice@localhost/desk", "--reason", "spam"]);
    expect(kicked.code).toBe(0);
    await until("connection closed", (l) => l.event === "connection.close" && l.jid === "alice@localhost/desk");
    const kick = events().find((l) => l.event === "kick");
    expect(kick).toMatchObject({ msg: "session kicked by an administrator", jid: "alice@localhost/desk", ip: "127.0.0.1", transport: "tcp", text: "spam" });
    expect(events().find((l) => l.event === "connection.close" && l.conn === kick!.conn)).toMatchObject({ reason: "policy-violation", ip: "127.0.0.1", transport: "tcp" });
  });
});

describe("fail2ban filter on those lines", () => {
  it("matches exactly the failed logins, and its <HOST> is the client's address (JavaScript translation)", () => {
    const filter = readFilter();
    const lines = server.output().split("\n").filter((l) => l.startsWith("{"));
    const hosts = lines.map((l) => filter.host(l)).filter((h) => h !== null);
    expect(hosts).toEqual(["127.0.0.1", "127.0.0.1"]);
    // Not counted: the server's own trouble, a client that gives up; IPv6 and mapped IPv4 are found.
    const failed = rawLines("login.failed")[0]!;
    expect(filter.host(failed.replace('"not-authorized"', '"temporary-auth-failure"'))).toBeNull();
    expect(filter.host(failed.replace('"not-authorized"', '"aborted"'))).toBeNull();
    expect(filter.host(failed.replace('"ip":"127.0.0.1"', '"ip":"2001:db8::7"'))).toBe("2001:db8::7");
    expect(filter.host(failed.replace('"ip":"127.0.0.1"', '"ip":"::ffff:192.0.2.9"'))).toBe("192.0.2.9");
    // An account name cannot smuggle an address in: JSON escapes its quotes.
    const forged = JSON.stringify({ ...JSON.parse(failed), ip: "", account: '","ip":"192.0.2.66' });
    expect(filter.host(forged)).toBeNull();
  });

  const hasFail2ban = spawnSync("sh", ["-c", "command -v fail2ban-regex"]).status === 0;
  it.skipIf(!hasFail2ban)("matches the same lines with fail2ban-regex itself", () => {
    const dir = mkdtempSync(join(tmpdir(), "xmppd-f2b-"));
    try {
      const log = join(dir, "xmppd.log");
      writeFileSync(log, server.output());
      const ips = execFileSync("fail2ban-regex", ["-o", "ip", log, FILTER], { encoding: "utf8" });
      expect(ips.trim().split("\n")).toEqual(["127.0.0.1", "127.0.0.1"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The filter as fail2ban applies it: the datepattern's match is cut out of the line, then the
 * failregex is searched with <HOST> as fail2ban defines it (failregex.py R_HOST, ipdns.py).
 */
function readFilter(): { host(line: string): string | null } {
  const conf = readFileSync(FILTER, "utf8");
  const value = (key: string) => new RegExp(`^${key}\\s*=\\s*(.*)$`, "m").exec(conf)?.[1]?.trim() ?? "";
  const ip4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
  const ip6 = String.raw`(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`;
  const host = String.raw`(?:\[?(?:(?:::f{4,6}:)?(?<ip4>${ip4})|(?<ip6>${ip6}))\]?|(?<dns>[\w\-.^_]*\w))`;
  // %% is the ini escape of %; the strptime fields used by our datepattern.
  const fields: Record<string, string> = { Y: String.raw`\d{4}`, m: String.raw`\d{2}`, d: String.raw`\d{2}`, H: String.raw`\d{2}`, M: String.raw`\d{2}`, S: String.raw`\d{2}`, f: String.raw`\d+`, z: String.raw`(?:Z|[+-]\d{2}:?\d{2})` };
  const date = new RegExp(value("datepattern").replace(/%%([A-Za-z])/g, (_, f: string) => fields[f] ?? `%${f}`));
  const fail = new RegExp(value("failregex").replace("<HOST>", host));
  const ignore = value("ignoreregex");
  return {
    host(line) {
      const d = date.exec(line);
      if (!d) return null;
      const rest = line.slice(0, d.index) + line.slice(d.index + d[0].length);
      if (ignore && new RegExp(ignore).test(rest)) return null;
      const m = fail.exec(rest);
      return m?.groups?.ip4 ?? m?.groups?.ip6 ?? m?.groups?.dns ?? null;
    },
  };
}
