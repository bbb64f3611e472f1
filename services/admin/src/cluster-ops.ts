// Operations on a running cluster (the production topology): they need the real servers, so each
// opens NATS, Redis or Postgres on first use and says which variable to set when one is missing.
import { ampQueue, encode, natsConnectOptions, subjects, type ToGateway } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { parseJid } from "@xmppd/jid";
import { createPgClient, migrate, type SessionStore, type SqlClient } from "@xmppd/storage";
import { openSessions } from "@xmppd/stores-runtime";
import { connect, type NatsConnection } from "nats";
import { AdminError } from "./ops.ts";
import { grantRoles, redisAcl, type GrantReport, type GrantRequest, type RedisAclReport, type RedisAclRequest } from "./privilege-ops.ts";
import { queueStatus, type QueueStatus } from "./queue-status.ts";

export type { QueueStatus };

export interface ClusterStats {
  users: number;
  sessions: number;
  /** Work-queue messages not yet acknowledged by an AMP worker. */
  ampPending: number;
  offlineMessages: number;
}

export interface MigrationReport {
  set: "core" | "amp";
  /** Versions applied by this run. */
  applied: number[];
  /** Newest version now in the database. */
  version: number;
}

export interface ClusterOps {
  /** Closes one session: its gateway sends a stream error and drops the connection. */
  kick(fullJid: string, text: string): Promise<{ jid: string; gateway: string }>;
  stats(): Promise<ClusterStats>;
  ampQueue(): Promise<QueueStatus>;
  migrate(): Promise<MigrationReport[]>;
  /** The router's and the AMP worker's database roles and privileges (run after migrate, as the owner). */
  grant(request: GrantRequest): Promise<GrantReport>;
  /** Their Redis ACL users for this cluster's key prefix. */
  redisAcl(request: RedisAclRequest): Promise<RedisAclReport>;
  close(): Promise<void>;
}

/** How long kick waits for the gateway to close the connection (and the router to unbind it). */
const KICK_TIMEOUT_MS = 5000;

export function openClusterOps(config: Config): ClusterOps {
  const names = subjects(config.cluster);
  const workQueue = ampQueue(names, config.amp.partitions, config.amp.queue).spec;
  let nats: Promise<NatsConnection> | undefined;
  let sessions: SessionStore | undefined;
  const sql = new Map<string, SqlClient>();
  const need = <T>(value: T | undefined, variable: string, what: string): T => {
    if (value === undefined || value === "") throw new AdminError(`${what}: set ${variable}`, "unavailable");
    return value;
  };
  const bus = () => (nats ??= connect({ ...natsConnectOptions({ ...config.nats, url: need(config.nats.url, "NATS_URL", "the bus is NATS"), name: "xmppd-admin" }), maxReconnectAttempts: 0 }));
  const store = () => (sessions ??= openSessions({ ...config, redis: { ...config.redis, url: need(config.redis.url, "REDIS_URL", "sessions live in Redis") } }));
  const db = (url: string) => {
    const client = sql.get(url) ?? createPgClient({ url });
    sql.set(url, client);
    return client;
  };
  const core = () => db(need(config.database.url, "DATABASE_URL", "users live in Postgres"));
  const amp = () => (config.amp.databaseUrl ? db(config.amp.databaseUrl) : core());

  return {
    async kick(fullJid, text) {
      const jid = parseFullJid(fullJid);
      const session = (await store().get(jid.bare)).find((s) => s.jid === jid.full);
      if (!session) throw new AdminError(`no session ${jid.full}`, "not-found");
      // RFC 6120 §4.9.3.14: ejabberd and Prosody kick with policy-violation too.
      const close: ToGateway = { t: "close", conn: session.conn, condition: "policy-violation", text };
      const nc = await bus();
      nc.publish(names.gatewayInbox(session.gateway), encode(close));
      await nc.flush();
      const deadline = Date.now() + KICK_TIMEOUT_MS;
      while ((await store().get(jid.bare)).some((s) => s.conn === session.conn)) {
        if (Date.now() > deadline) throw new AdminError(`gateway ${session.gateway} did not close ${jid.full} within ${KICK_TIMEOUT_MS / 1000} s; is it alive?`, "unavailable");
        await new Promise((r) => setTimeout(r, 100));
      }
      return { jid: jid.full, gateway: session.gateway };
    },
    async stats() {
      const [users, online, queue, offline] = await Promise.all([
        countRows(core(), "core.users"),
        store().count(),
        queueStatus(await bus(), workQueue),
        countRows(amp(), "amp.offline_messages"),
      ]);
      return { users, sessions: online, ampPending: queue.pending + queue.ackPending, offlineMessages: offline };
    },
    async ampQueue() {
      return queueStatus(await bus(), workQueue);
    },
    async migrate() {
      const reports: MigrationReport[] = [];
      for (const [set, client] of [["core", core()], ["amp", amp()]] as const) {
        const applied = await migrate(client, set);
        const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${set}.schema_migrations`);
        reports.push({ set, applied, version: rows[0]?.v ?? 0 });
      }
      return reports;
    },
    grant: async (request) => {
      const [owner, ownerAmp] = [core(), amp()];
      return grantRoles(owner, ownerAmp === owner ? undefined : ownerAmp, request);
    },
    redisAcl: (request) => redisAcl(config, request),
    async close() {
      const nc = await nats?.catch(() => undefined);
      await Promise.all([nc?.close(), sessions?.close(), ...[...sql.values()].map((c) => c.close())]);
    },
  };
}

function parseFullJid(text: string): { bare: string; full: string } {
  let jid;
  try {
    jid = parseJid(text);
  } catch (err) {
    throw new AdminError(`invalid JID ${text}: ${(err as Error).message}`, "invalid", { cause: err });
  }
  if (!jid.local || !jid.resource) throw new AdminError(`kick needs a full JID (user@domain/resource), got ${text}`, "invalid");
  return { bare: jid.bareString(), full: jid.toString() };
}

/** Rows of a table of ours; a schema not created yet (no AMP worker ever ran) has none. */
async function countRows(sql: SqlClient, table: "core.users" | "amp.offline_messages"): Promise<number> {
  try {
    const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    return rows[0]?.n ?? 0;
  } catch (err) {
    if ((err as { code?: string }).code === "42P01" || (err as { code?: string }).code === "3F000") return 0;
    throw err;
  }
}
