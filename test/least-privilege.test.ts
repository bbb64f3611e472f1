// Least privilege behind the bus, as an operator sees it (docs/least-privilege.md): the topology's
// routers and AMP workers connect as their own Postgres roles and Redis users, and a service
// started as its role against a schema that is behind refuses to start, naming the command to run.
import { execFile } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgClient, migrate, type SqlClient } from "@xmppd/storage";
import { SERVICE_URLS, ensureServices, tempDatabase, uniqueId, type TempDatabase } from "@xmppd/testkit";
import { createServiceAccounts, type ServiceAccounts } from "../scripts/cluster/service-accounts.ts";
import { ROOT, defaultRunner, entryArgs } from "../scripts/cluster/processes.ts";
import { startTopology, type Topology } from "./support/topology.ts";

describe("the end-to-end topology", () => {
  let topo: Topology;
  beforeAll(async () => void (topo = await startTopology({ gateways: 1, routers: 1, ampWorkers: 1 })));
  afterAll(() => topo?.stop());

  it("runs routers and AMP workers as their own roles and Redis users, never as the owner", async () => {
    const admin = createPgClient({ url: SERVICE_URLS.pgAdminUrl, max: 1 });
    const redis = new Redis(SERVICE_URLS.redisUrl);
    try {
      const db = new URL(topo.databaseUrl).pathname.slice(1);
      const roles = await admin.query<{ usename: string }>(`SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND usename <> 'postgres' ORDER BY 1`, [db]);
      expect(roles.rows.map((r) => r.usename)).toEqual([`xmppd_amp_${topo.cluster}`, `xmppd_router_${topo.cluster}`]);
      const clients = String(await redis.call("CLIENT", "LIST")).split("\n").map((line) => / user=(\S+)/.exec(line)?.[1]);
      expect(new Set(clients.filter((u) => u?.endsWith(topo.cluster)))).toEqual(new Set([`xmppd-router-${topo.cluster}`, `xmppd-amp-${topo.cluster}`]));
    } finally {
      await admin.close();
      redis.disconnect();
    }
  });
});

describe("a service whose role may not migrate", () => {
  let db: TempDatabase;
  let owner: SqlClient;
  let accounts: ServiceAccounts;
  const cluster = uniqueId("lp");

  beforeAll(async () => {
    await ensureServices();
    db = await tempDatabase();
    owner = createPgClient({ url: db.url });
    await migrate(owner, "core");
    await migrate(owner, "amp");
    accounts = await createServiceAccounts({ databaseUrl: db.url, redisUrl: SERVICE_URLS.redisUrl, keyPrefix: `${cluster}:`, suffix: cluster });
  });
  afterAll(async () => {
    await owner?.close();
    await accounts?.drop();
    await db?.drop();
  });

  // As after an upgrade whose new code brings a migration the owner has not run yet.
  async function behind(set: "core" | "amp", run: () => Promise<void>): Promise<string> {
    const { rows } = await owner.query<{ version: number; name: string }>(`DELETE FROM ${set}.schema_migrations WHERE version = (SELECT max(version) FROM ${set}.schema_migrations) RETURNING version, name`);
    try {
      await run();
    } finally {
      await owner.query(`INSERT INTO ${set}.schema_migrations (version, name) VALUES ($1, $2)`, [rows[0]!.version, rows[0]!.name]);
    }
    return `${String(rows[0]!.version).padStart(3, "0")}_${rows[0]!.name}`;
  }

  function start(kind: "router" | "amp"): Promise<{ code: number | null; stderr: string }> {
    // Nothing listens on the bus port: the database check comes first and must be what stops it.
    const env = { PATH: process.env.PATH, NATS_URL: "nats://127.0.0.1:1", XMPPD__cluster: cluster, ...accounts.kindEnv[kind] };
    return new Promise((resolve) => {
      execFile(process.execPath, entryArgs(kind, defaultRunner()), { cwd: ROOT, env, timeout: 30_000 }, (err, _out, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stderr });
      });
    });
  }

  it("does not start a router against a core schema that is behind, and says who must migrate", async () => {
    let r = { code: 0 as number | null, stderr: "" };
    const pending = await behind("core", async () => void (r = await start("router")));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `session-router: schema core is not migrated (pending: ${pending}) and role xmppd_router_${cluster} may not migrate it: ` +
      "run `npm run admin -- migrate` and then `npm run admin -- grant ...` with DATABASE_URL set to the schema owner's URL, then start again\n",
    );
  });

  it("does not start an AMP worker against an amp schema that is behind", async () => {
    let r = { code: 0 as number | null, stderr: "" };
    const pending = await behind("amp", async () => void (r = await start("amp")));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`amp-worker: schema amp is not migrated (pending: ${pending}) and role xmppd_amp_${cluster} may not migrate it: run \`npm run admin -- migrate\``);
  });
});
