// Operations on a running cluster (the production topology): they need the real servers, so each
// opens NATS, Redis or Postgres on first use and says which variable to set when one is missing.
import { ampQueue, natsConnectOptions, subjects } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { createPgClient, type SessionStore, type SqlClient } from "@xmppd/storage";
import { openSessions } from "@xmppd/stores-runtime";
import { connect, type NatsConnection } from "nats";
import { AdminError } from "./ops.ts";
import { grantRoles, redisAcl, type GrantReport, type GrantRequest, type RedisAclReport, type RedisAclRequest } from "./privilege-ops.ts";
import { queueStatus, type QueueStatus } from "./queue-status.ts";
import { createServerOps, gatewayMessage, type ClusterStats, type MigrationReport, type ServerOps } from "./server-ops.ts";

export type { ClusterStats, MigrationReport, QueueStatus };

export interface ClusterOps extends ServerOps {
  /** The router's and the AMP worker's database roles and privileges (run after migrate, as the owner). */
  grant(request: GrantRequest): Promise<GrantReport>;
  /** Their Redis ACL users for this cluster's key prefix. */
  redisAcl(request: RedisAclRequest): Promise<RedisAclReport>;
  close(): Promise<void>;
}

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

  const server = createServerOps({
    sessions: store,
    async toGateway(gateway, message) {
      const nc = await bus();
      const { subject, data } = gatewayMessage(config.cluster, gateway, message);
      nc.publish(subject, data);
      await nc.flush();
    },
    core,
    amp,
    queue: async () => queueStatus(await bus(), workQueue),
  });

  return {
    ...server,
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
