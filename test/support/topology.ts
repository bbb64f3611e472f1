// Runs the production topology as plain processes on this machine for the end-to-end tests:
// gateways, routers and AMP workers, each its own `node` process, against real NATS, Redis and
// Postgres. Every run gets its own cluster name (subjects, Redis keys, JetStream stream) and its
// own database. The processes themselves are managed by scripts/cluster/processes.ts, which
// `npm run cluster` uses too.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { ensureServices, startSecureNats, tempDatabase, uniqueId, type SecureNats } from "@xmppd/testkit";
import { createPgClient, createUserStore, migrate } from "@xmppd/storage";
import { hashPassword } from "@xmppd/sasl";
import { clusterEnv, createProcessSet, type Kind, type Proc, type Runner } from "../../scripts/cluster/processes.ts";
import { createServiceAccounts } from "../../scripts/cluster/service-accounts.ts";

export type { Proc };

export interface TopologyOptions {
  gateways?: number;
  routers?: number;
  ampWorkers?: number;
  tlsRequired?: boolean;
  env?: Record<string, string>;
  /** Start every process with the V8 inspector on a random loopback port (benchmarks read heap use through it). */
  inspect?: boolean;
  /** Extra node flags for every process, e.g. ["--cpu-prof"]. */
  nodeArgs?: string[];
  /** Compiled bundles or TypeScript through tsx (scripts/cluster/processes.ts; default dist unless XMPPD_RUNNER=tsx). */
  runner?: Runner;
  /** Bundles load their source maps (default true); see scripts/cluster/processes.ts. */
  sourceMaps?: boolean;
  /**
   * A Redis of the test's own (startPrivateRedis) instead of the shared one, for tests that
   * restart it; the ACL users are saved to its aclfile so that they survive the restart.
   */
  redisUrl?: string;
  /** A Postgres superuser URL of the test's own (startPrivatePostgres): the run's database is made there. */
  postgresAdminUrl?: string;
}

export interface Topology {
  cluster: string;
  domain: string;
  /** The topology's own NATS server: TLS, one nkey identity per process kind and per gateway. */
  nats: SecureNats;
  /** The throwaway database of this run (core and amp schemas), for tests that seed or inspect rows. */
  databaseUrl: string;
  procs: Proc[];
  of(kind: Kind): Proc[];
  addUser(username: string, password: string): Promise<void>;
  /** Many accounts sharing one password, hashed once (for load tests). */
  addUsers(usernames: string[], password: string): Promise<void>;
  start(kind: Kind): Promise<Proc>;
  kill(proc: Proc, signal?: NodeJS.Signals): Promise<void>;
  logs(proc: Proc): string;
  stop(): Promise<void>;
}

export async function startTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const svc = await ensureServices();
  const cluster = uniqueId("t");
  const db = await tempDatabase(opts.postgresAdminUrl);
  const redisUrl = opts.redisUrl ?? svc.redisUrl;
  const dir = mkdtempSync(join(tmpdir(), `xmppd-${cluster}-`));
  const domain = "localhost";
  // Its own NATS server, secured as in production (docs/security.md): gateways gw1, gw2, ...
  const nats = await startSecureNats({ cluster, gateways: Array.from({ length: opts.gateways ?? 1 }, (_, i) => `gw${i + 1}`) });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...clusterEnv({ natsUrl: nats.url, redisUrl, databaseUrl: db.url, cluster, dir, domain, tlsRequired: opts.tlsRequired ?? false }),
    XMPPD__heartbeat__intervalMs: "250",
    XMPPD__heartbeat__deadAfterMs: "1500",
    ...opts.env,
  };
  const sql = await createPgClient({ url: db.url });
  await migrate(sql, "core");
  // Routers and AMP workers run as their own roles and Redis users, which may not migrate: the
  // owner migrates first, as in production (docs/least-privilege.md).
  const ampDatabaseUrl = opts.env?.AMP_DATABASE_URL || undefined;
  const ampOwner = ampDatabaseUrl ? createPgClient({ url: ampDatabaseUrl }) : sql;
  await migrate(ampOwner, "amp");
  if (ampOwner !== sql) await ampOwner.close();
  const accounts = await createServiceAccounts({ databaseUrl: db.url, ampDatabaseUrl, redisUrl, keyPrefix: `${cluster}:`, suffix: cluster });
  if (opts.redisUrl) await saveRedisAcl(redisUrl);
  const users = createUserStore(sql);
  const busEnv = (kind: Kind, gateway: string | undefined) => nats.processEnv(kind === "amp" ? "amp-worker" : "router", gateway);
  const set = createProcessSet({ cluster, dir, env, kindEnv: accounts.kindEnv, busEnv, inspect: opts.inspect, nodeArgs: opts.nodeArgs, runner: opts.runner, sourceMaps: opts.sourceMaps });

  try {
    for (let i = 0; i < (opts.routers ?? 1); i++) await set.start("router");
    for (let i = 0; i < (opts.ampWorkers ?? 1); i++) await set.start("amp");
    for (let i = 0; i < (opts.gateways ?? 1); i++) await set.start("gateway");
  } catch (err) {
    // A process that did not come up must not leave its siblings running after the test file.
    await set.stopAll(2000);
    await sql.close();
    await accounts.drop();
    await db.drop();
    await nats.stop();
    throw err;
  }

  return {
    cluster,
    domain,
    nats,
    databaseUrl: db.url,
    procs: set.procs,
    of: set.of,
    start: set.start,
    async addUser(username, password) {
      await users.create({ domain, username, scram: hashPassword(password, { iterations: 4096 }) });
    },
    async addUsers(usernames, password) {
      const scram = hashPassword(password, { iterations: 4096 });
      for (let i = 0; i < usernames.length; i += 50) {
        await Promise.all(usernames.slice(i, i + 50).map((username) => users.create({ domain, username, scram })));
      }
    },
    kill: set.kill,
    logs: set.logs,
    async stop() {
      await set.stopAll(5000);
      await sql.close();
      await accounts.drop();
      await db.drop();
      await nats.stop();
      await dropClusterState(redisUrl, cluster);
      // Every process's bus identity must have been enough for all it did (permissions.ts).
      const refused = set.procs.filter((p) => set.logs(p, Infinity).includes("PERMISSIONS_VIOLATION")).map((p) => p.name);
      if (refused.length > 0) throw new Error(`NATS refused operations of ${refused.join(", ")}: their permissions (packages/bus/src/permissions.ts) are too narrow`);
    },
  };
}

/**
 * The cluster's Redis keys outlive its processes: removed here, so that runs do not pile up
 * state on the shared server. (Its NATS server and JetStream store go with nats.stop().)
 */
async function dropClusterState(redisUrl: string, cluster: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${cluster}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** A restarted Redis keeps its configuration, ACL users included, but no data. */
async function saveRedisAcl(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await redis.call("ACL", "SAVE");
  } finally {
    redis.disconnect();
  }
}
