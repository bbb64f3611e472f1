// grant and redis-acl as an operator runs them: the CLI as a separate process with the owner's
// credentials, then connections as the roles and users it made. Roles and ACL users are
// server-wide, so they carry this run's suffix and are removed afterwards.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgClient, createRedisSessionStore, deleteRedisAclUsers } from "@xmppd/storage";
import { SERVICE_URLS, ensureServices, randomSuffix, tempDatabase, uniqueId, type TempDatabase } from "@xmppd/testkit";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "xmppd-admin-grant-"));
const suffix = randomSuffix(8);
const roles = { router: `xmppd_t_router_${suffix}`, amp: `xmppd_t_amp_${suffix}` };
const redisUsers = { router: `xmppd-t-router-${suffix}`, amp: `xmppd-t-amp-${suffix}` };
const cluster = uniqueId("grt");
let db: TempDatabase;
let env: NodeJS.ProcessEnv;

function secretFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}
const passwords = { router: secretFile("router", "router-pw\n"), amp: secretFile("amp", "amp 'pw'\n") };

beforeAll(async () => {
  await ensureServices();
  db = await tempDatabase();
  env = { PATH: process.env.PATH, DATABASE_URL: db.url, REDIS_URL: SERVICE_URLS.redisUrl, XMPPD__cluster: cluster };
});
afterAll(async () => {
  await db?.drop();
  const admin = createPgClient({ url: SERVICE_URLS.pgAdminUrl, max: 1 });
  for (const role of Object.values(roles)) await admin.query(`DROP ROLE IF EXISTS "${role}"`);
  await admin.close();
  await deleteRedisAclUsers(SERVICE_URLS.redisUrl, Object.values(redisUsers));
  rmSync(dir, { recursive: true, force: true });
});

function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", MAIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const as = (role: string, password: string) => {
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  return createPgClient({ url: url.toString(), max: 1 });
};

describe("admin grant", { timeout: 60_000 }, () => {
  it("refuses roles that do not exist, naming what to do", async () => {
    expect((await admin("migrate")).code).toBe(0);
    const r = await admin("grant", "--router-role", roles.router, "--amp-role", roles.amp);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`xmppd-admin: role ${roles.router} does not exist: create it first (CREATE ROLE "${roles.router}" LOGIN PASSWORD '...')\n`);
  });

  it("creates the login roles and grants them; the AMP worker's role cannot read password hashes", async () => {
    const args = ["grant", "--router-role", roles.router, "--amp-role", roles.amp, "--router-password-file", passwords.router, "--amp-password-file", passwords.amp];
    const first = await admin("--json", ...args);
    expect(first.stderr).toBe("");
    expect(JSON.parse(first.stdout)).toEqual({
      ok: true, roles: { router: roles.router, ampWorker: roles.amp }, databases: [{ schemas: ["core", "amp"] }],
      logins: [`${roles.router} created`, `${roles.amp} created`],
    });
    const again = await admin(...args);
    expect(again.code).toBe(0);
    expect(again.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim())).toEqual([
      `login role ${roles.router} updated`, `login role ${roles.amp} updated`,
      "SCHEMA ROUTER ROLE AMP WORKER ROLE", `core ${roles.router} ${roles.amp}`, `amp - ${roles.amp}`, "",
    ]);

    const worker = as(roles.amp, "amp 'pw'");
    const router = as(roles.router, "router-pw");
    try {
      await expect(worker.query("SELECT scram_sha256 FROM core.users")).rejects.toThrow(/permission denied for table users/);
      expect((await worker.query("SELECT count(*)::int AS n FROM amp.offline_messages")).rows).toEqual([{ n: 0 }]);
      await expect(router.query("SELECT count(*) FROM amp.offline_messages")).rejects.toThrow(/permission denied for schema amp/);
      expect((await router.query("SELECT count(*)::int AS n FROM core.users")).rows).toEqual([{ n: 0 }]);
    } finally {
      await Promise.all([worker.close(), router.close()]);
    }
  });
});

describe("admin redis-acl", { timeout: 60_000 }, () => {
  const args = ["--router-user", redisUsers.router, "--router-password-file", passwords.router, "--amp-user", redisUsers.amp, "--amp-password-file", passwords.amp];

  it("prints ACL file lines without touching Redis", async () => {
    const r = await admin("redis-acl", ...args, "--print");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^user ${redisUsers.router} on #[0-9a-f]{64} resetchannels ~${cluster}:\\* -@all \\+decr `));
    expect(lines[1]).toContain(`user ${redisUsers.amp} on #`);
    expect(lines[1]).toContain(` %R~${cluster}:sess:* `);
    expect(r.stdout).not.toContain("router-pw");
  });

  it("makes users confined to the cluster's key prefix", async () => {
    const r = await admin("--json", "redis-acl", ...args);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, keyPrefix: `${cluster}:` });
    expect(report.users.map((u: { service: string; user: string }) => [u.service, u.user])).toEqual([["router", redisUsers.router], ["ampWorker", redisUsers.amp]]);
    // The stores the services run, connected as the users the command made.
    const url = (user: string, password: string) => `redis://${user}:${encodeURIComponent(password)}@127.0.0.1:6379`;
    const worker = createRedisSessionStore({ url: url(redisUsers.amp, "amp 'pw'"), keyPrefix: `${cluster}:` });
    const router = createRedisSessionStore({ url: url(redisUsers.router, "router-pw"), keyPrefix: `${cluster}:` });
    const elsewhere = createRedisSessionStore({ url: url(redisUsers.router, "router-pw"), keyPrefix: "another:" });
    const rec = { jid: "alice@localhost/a", gateway: "gw", conn: "c", available: true, priority: 0, boundAt: 1 };
    try {
      expect(await router.bind(rec, 10)).toEqual({ ok: true });
      expect(await worker.get("alice@localhost")).toEqual([rec]);
      expect(await worker.addQueued("alice@localhost", 1)).toBe(1);
      await expect(worker.bind({ ...rec, jid: "alice@localhost/b" }, 10)).rejects.toThrow(/can't access|NOPERM/);
      await expect(elsewhere.bind(rec, 10)).rejects.toThrow(/can't access|NOPERM/);
      await expect(worker.count()).rejects.toThrow(/NOPERM/);
    } finally {
      await worker.addQueued("alice@localhost", -1).catch(() => {});
      await router.unbind(rec.jid, rec.conn);
      await Promise.all([worker.close(), router.close(), elsewhere.close()]);
    }
  });
});
