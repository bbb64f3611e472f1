// The topology under test: NATS, Redis and Postgres of its own (private, so the harness may kill
// them), and gateways, routers and AMP workers as processes through scripts/cluster/processes.ts,
// set up as test/support/topology.ts and `npm run cluster` set theirs up (migrations by the owner,
// a Postgres role and Redis user per service kind, a NATS identity per process kind and gateway).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { applyRedisAcl, createPgClient, createUserStore, migrate } from "@xmppd/storage";
import { hashPassword } from "@xmppd/sasl";
import { startPrivatePostgres, startPrivateRedis, startSecureNats, uniqueId, type PrivateService, type SecureNats } from "@xmppd/testkit";
import { clusterEnv, createProcessSet, type Kind, type Proc, type ProcessSet } from "../cluster/processes.ts";
import { createServiceAccounts, type ServiceAccounts } from "../cluster/service-accounts.ts";

export type Dependency = "nats" | "redis" | "postgres";

export interface ChaosCluster {
  cluster: string;
  domain: string;
  dir: string;
  set: ProcessSet;
  /** c2s ports of the live gateways. */
  gatewayPorts(): number[];
  live(kind: Kind): Proc[];
  addUsers(usernames: string[], password: string): Promise<void>;
  /** Message ids (our `chaos-` ids) still in offline storage. */
  storedIds(): Promise<Set<string>>;
  kill(dep: Dependency): Promise<void>;
  /** Starts it again; Redis comes back empty, with its ACL users as its aclfile would give them. */
  start(dep: Dependency): Promise<void>;
  stop(): Promise<void>;
}

export interface ChaosClusterOptions {
  gateways: number;
  routers: number;
  ampWorkers: number;
}

export async function startChaosCluster(o: ChaosClusterOptions): Promise<ChaosCluster> {
  const cluster = uniqueId("chaos");
  const domain = "localhost";
  const dir = mkdtempSync(join(tmpdir(), `xmppd-${cluster}-`));
  const cleanup: (() => Promise<unknown>)[] = [];
  const undo = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    const [redis, postgres, nats] = await Promise.all([
      startPrivateRedis(),
      startPrivatePostgres(),
      startSecureNats({ cluster, gateways: Array.from({ length: o.gateways }, (_, i) => `gw${i + 1}`) }),
    ]);
    cleanup.push(() => redis.stop(), () => postgres.stop(), () => nats.stop());
    const databaseUrl = await createDatabase(postgres);
    const sql = await createPgClient({ url: databaseUrl });
    cleanup.push(() => sql.close());
    await migrate(sql, "core");
    await migrate(sql, "amp");
    const accounts = await createServiceAccounts({ databaseUrl, redisUrl: redis.url, keyPrefix: `${cluster}:`, suffix: cluster });
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...clusterEnv({ natsUrl: nats.url, redisUrl: redis.url, databaseUrl, cluster, dir, domain, tlsRequired: false }),
      LOG_LEVEL: "warn",
      XMPPD__heartbeat__intervalMs: "250",
      XMPPD__heartbeat__deadAfterMs: "1500",
      // Every client comes from a few loopback addresses: the per-IP admission limits would
      // measure themselves, not the faults. Stanza and byte rates stay at their defaults, since
      // the burst and slow-consumer faults are about them.
      XMPPD__gateway__limits__connectionsPerIp: "100000",
      XMPPD__gateway__limits__newConnectionsPerIpPer10s: "100000",
      // Strangers send each other AMP rules here; strict security would refuse them all (§9).
      XMPPD__amp__security: "none",
    };
    const set = createProcessSet({
      cluster, dir, env, kindEnv: accounts.kindEnv,
      busEnv: (kind: Kind, gateway: string | undefined) => nats.processEnv(kind === "amp" ? "amp-worker" : "router", gateway),
    });
    cleanup.push(() => set.stopAll(5000));
    for (let i = 0; i < o.routers; i++) await set.start("router");
    for (let i = 0; i < o.ampWorkers; i++) await set.start("amp");
    for (let i = 0; i < o.gateways; i++) await set.start("gateway");
    const users = createUserStore(sql);
    const deps: Record<Dependency, { kill(): Promise<void>; start(): Promise<void> }> = { nats, redis, postgres };

    return {
      cluster, domain, dir, set,
      gatewayPorts: () => set.of("gateway").map((p) => p.c2sPort),
      live: (kind) => set.of(kind),
      async addUsers(usernames, password) {
        const scram = hashPassword(password, { iterations: 4096 });
        for (let i = 0; i < usernames.length; i += 50) {
          await Promise.all(usernames.slice(i, i + 50).map((username) => users.create({ domain, username, scram })));
        }
      },
      async storedIds() {
        const rows = await sql.query<{ stanza: string }>("SELECT stanza FROM amp.offline_messages");
        const ids = new Set<string>();
        for (const r of rows.rows) for (const m of r.stanza.matchAll(/id=["'](chaos-[^"']+)["']/g)) ids.add(m[1]!);
        return ids;
      },
      kill: (dep) => deps[dep].kill(),
      async start(dep) {
        await deps[dep].start();
        if (dep === "redis") await restoreRedisUsers(redis, accounts, cluster);
      },
      async stop() {
        await set.stopAll(5000);
        await sql.close().catch(() => undefined);
        await Promise.all([redis.stop(), postgres.stop(), nats.stop()]);
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** A database of its own on the private server; the owner (postgres) migrates it. */
async function createDatabase(postgres: PrivateService): Promise<string> {
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    await admin.query("CREATE DATABASE xmppd");
  } finally {
    await admin.end();
  }
  const url = new URL(postgres.url);
  url.pathname = "/xmppd";
  return url.toString();
}

/** The routers' and workers' Redis users, with the passwords their REDIS_URLs carry. */
async function restoreRedisUsers(redis: PrivateService, accounts: ServiceAccounts, cluster: string): Promise<void> {
  const creds = (k: "router" | "amp") => {
    const u = new URL(accounts.kindEnv[k]!.REDIS_URL!);
    return { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  };
  await applyRedisAcl(redis.url, `${cluster}:`, [
    { service: "router", ...creds("router") },
    { service: "ampWorker", ...creds("amp") },
  ]);
}

export type { SecureNats };
