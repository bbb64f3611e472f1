// The operations on a running server that the admin runs the same way against a cluster (NATS,
// Redis, Postgres: cluster-ops.ts) and inside the embedded standalone (in-process bus, in-memory
// sessions, PGlite: embedded-ops.ts, reached over its admin endpoint). Only how each dependency
// is reached differs; what the operation does lives here once.
import { encode, subjects, type ToGateway } from "@xmppd/bus";
import { parseJid } from "@xmppd/jid";
import { migrate, type SessionStore, type SqlClient } from "@xmppd/storage";
import { AdminError } from "./ops.ts";
import type { QueueStatus } from "./queue-status.ts";

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

export interface ServerOps {
  /** Closes one session: its gateway sends a stream error and drops the connection. */
  kick(fullJid: string, text: string): Promise<{ jid: string; gateway: string }>;
  stats(): Promise<ClusterStats>;
  ampQueue(): Promise<QueueStatus>;
  migrate(): Promise<MigrationReport[]>;
}

export const SERVER_OP_NAMES = ["kick", "stats", "ampQueue", "migrate"] as const;

export interface ServerDeps {
  sessions(): SessionStore;
  /** Sends to a gateway's inbox; resolves once the message has left this process. */
  toGateway(gateway: string, message: ToGateway): Promise<void>;
  core(): SqlClient;
  amp(): SqlClient;
  queue(): Promise<QueueStatus>;
}

/** How long kick waits for the gateway to close the connection (and the router to unbind it). */
const KICK_TIMEOUT_MS = 5000;

export function createServerOps(deps: ServerDeps): ServerOps {
  return {
    async kick(fullJid, text) {
      const jid = parseFullJid(fullJid);
      const store = deps.sessions();
      const session = (await store.get(jid.bare)).find((s) => s.jid === jid.full);
      if (!session) throw new AdminError(`no session ${jid.full}`, "not-found");
      // RFC 6120 §4.9.3.14: ejabberd and Prosody kick with policy-violation too. `kick` makes the
      // gateway log it as an administrator's kick (docs/logging.md).
      await deps.toGateway(session.gateway, { t: "close", conn: session.conn, condition: "policy-violation", text, kick: true });
      const deadline = Date.now() + KICK_TIMEOUT_MS;
      while ((await store.get(jid.bare)).some((s) => s.conn === session.conn)) {
        if (Date.now() > deadline) throw new AdminError(`gateway ${session.gateway} did not close ${jid.full} within ${KICK_TIMEOUT_MS / 1000} s; is it alive?`, "unavailable");
        await new Promise((r) => setTimeout(r, 100));
      }
      return { jid: jid.full, gateway: session.gateway };
    },
    async stats() {
      const [users, online, queue, offline] = await Promise.all([
        countRows(deps.core(), "core.users"),
        deps.sessions().count(),
        deps.queue(),
        countRows(deps.amp(), "amp.offline_messages"),
      ]);
      return { users, sessions: online, ampPending: queue.pending + queue.ackPending, offlineMessages: offline };
    },
    ampQueue: () => deps.queue(),
    async migrate() {
      const reports: MigrationReport[] = [];
      for (const [set, client] of [["core", deps.core()], ["amp", deps.amp()]] as const) {
        const applied = await migrate(client, set);
        const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${set}.schema_migrations`);
        reports.push({ set, applied, version: rows[0]?.v ?? 0 });
      }
      return reports;
    },
  };
}

/** A message for a gateway's inbox as published on the bus. */
export function gatewayMessage(cluster: string, gateway: string, message: ToGateway): { subject: string; data: Uint8Array } {
  return { subject: subjects(cluster).gatewayInbox(gateway), data: encode(message) };
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
