// Test support: a worker on the in-process bus, memory sessions and in-memory PGlite, plus a
// fake gateway that records what the worker sends it.
import { ampQueue, createMemoryBus, decode, encode, subjects } from "@xmppd/bus";
import type { AmpWork, Bus, ToGateway, WorkQueue } from "@xmppd/bus";
import { loadConfig } from "@xmppd/config";
import type { Config } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { hashPassword } from "@xmppd/sasl";
import { createAmpStore, createBlockStore, createMemorySessionStore, createMemorySmStore, createOfflineStore, createPgliteClient, createRosterStore, createUserStore, migrate } from "@xmppd/storage";
import type { AmpStore, OfflineStore, SessionRecord, SessionStore, SmStore, SqlClient, UserStore } from "@xmppd/storage";
import { uniqueId } from "@xmppd/testkit";
import { createAmpWorker } from "./app.ts";
import type { AmpWorker } from "./app.ts";
import type { HandlerTable } from "./context.ts";

export interface Harness {
  config: Config;
  bus: Bus;
  queue: WorkQueue;
  sessions: SessionStore;
  /** The XEP-0198 store the worker shares with the (absent) routers. */
  sm: SmStore;
  users: UserStore;
  offline: OfflineStore;
  amp: AmpStore;
  sql: SqlClient;
  worker: AmpWorker;
  /** Envelopes received by each gateway id. */
  inbox(gateway: string): ToGateway[];
  addUser(local: string): Promise<void>;
  bindSession(jid: string, gateway: string, conn: string, available?: boolean): Promise<void>;
  /** A session with XEP-0198 resumption enabled under `smId`. */
  bindResumable(jid: string, gateway: string, conn: string, smId: string): Promise<void>;
  send(work: AmpWork): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Wrap the stores, e.g. to inject a failure. */
  wrapOffline?: (store: OfflineStore) => OfflineStore;
  wrapAmp?: (store: AmpStore) => AmpStore;
  handlers?: HandlerTable;
  /** A bus of the test's own (NATS: partitions claimed and taken in batches); closed with the harness. */
  bus?: Bus;
}

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const config = loadConfig({ env: { XMPPD__cluster: uniqueId("amp"), XMPPD__log__level: "silent", ...opts.env } });
  const s = subjects(config.cluster);
  const bus = opts.bus ?? createMemoryBus();
  const sql = createPgliteClient();
  await migrate(sql, "core");
  await migrate(sql, "amp");
  const sessions = createMemorySessionStore();
  const users = createUserStore(sql);
  const offline = createOfflineStore(sql);
  const log = createLogger({ service: "amp-worker", level: "silent" });
  const ampStore = createAmpStore(sql);
  const sm = createMemorySmStore();
  const deps = { config, bus, sessions, sm, users, roster: createRosterStore(sql), blocks: createBlockStore(sql), amp: opts.wrapAmp?.(ampStore) ?? ampStore, offline: opts.wrapOffline?.(offline) ?? offline, log };
  const worker = await createAmpWorker(deps, opts.handlers);
  await worker.start();
  const amp = ampQueue(s, config.amp.partitions, config.amp.queue);
  const queue = await bus.workQueue(amp.spec);
  let closed = false;
  const inboxes = new Map<string, ToGateway[]>();
  const inbox = (gw: string): ToGateway[] => {
    let list = inboxes.get(gw);
    if (!list) {
      const created: ToGateway[] = [];
      bus.subscribe(s.gatewayInbox(gw), (data) => created.push(decode<ToGateway>(data)));
      inboxes.set(gw, (list = created));
    }
    return list;
  };
  return {
    config, bus, queue, sessions, sm, users, offline, amp: ampStore, sql, worker, inbox,
    addUser: (local) => users.create({ username: local, domain: "localhost", scram: hashPassword("pw", { iterations: 4096 }) }),
    async bindSession(jid, gateway, conn, available = true) {
      const rec: SessionRecord = { jid, gateway, conn, available, priority: 0, boundAt: Date.now() };
      await sessions.bind(rec, 10);
    },
    async bindResumable(jid, gateway, conn, smId) {
      await sm.create({ id: smId, jid, gateway, conn });
      await sessions.bind({ jid, gateway, conn, available: true, priority: 0, boundAt: Date.now(), sm: smId }, 10);
    },
    send: (work) => queue.publish(amp.subject(work.t, (work.t === "message" ? work.to : work.jid).split("/")[0]!), encode(work)),
    async close() {
      if (closed) return;
      closed = true;
      await worker.stop();
      await bus.close();
      await sql.close();
    },
  };
}

let seq = 0;

/** A message work item as the router would enqueue it. */
export function messageWork(to: string, from: string, body: string, type = "chat"): Extract<AmpWork, { t: "message" }> {
  seq += 1;
  const xml = `<message xmlns='jabber:client' from='${from}' to='${to}' type='${type}' id='m${seq}'><body>${body}</body></message>`;
  return { t: "message", key: `gw1:c1:${seq}`, order: String(seq).padStart(12, "0"), to, from, xml, acceptedAt: Date.now() };
}
