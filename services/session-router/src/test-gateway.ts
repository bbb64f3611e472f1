// Test harness: a router on the in-process bus, memory sessions and PGlite users, and a fake
// gateway that speaks envelopes to it. Used by the router tests only.
import { ampQueue, createMemoryBus, decode, encode, subjects, type AmpWork, type Bus, type GatewayHeartbeat, type ToGateway, type ToRouter, type WorkMessage } from "@xmppd/bus";
import { configSchema, type Config } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { hashPassword } from "@xmppd/sasl";
import { createAccountXmlStore, createBlockStore, createLastActivityStore, createMemorySessionStore, createMemorySmStore, createPgliteClient, createRosterStore, createUserStore, migrate, type RosterStore, type SessionStore, type SmStore, type SqlClient, type UserStore } from "@xmppd/storage";
import { randomSuffix } from "@xmppd/testkit";
import { createRouter, type Router } from "./router.ts";

/** An envelope a gateway got, with how many work-queue publishes had resolved by then. */
type Received = ToGateway & { gw: string; storedBefore: number };
type Omitted<T> = T extends unknown ? Omit<T, "gw" | "seq"> : never;

export interface Harness {
  config: Config;
  bus: Bus;
  sessions: SessionStore;
  /** XEP-0198 state, shared by every router of the harness. */
  sm: SmStore;
  router: Router;
  /** The router the fake gateways publish to (default "r1"): set it to fail a connection over. */
  via: string;
  /** Starts another router over the same bus and stores (a router to fail over to). */
  addRouter(id: string): Promise<Router>;
  /**
   * Opens `conn` and authenticates `user` on it with SASL PLAIN, as a gateway relays it; resolves
   * once the router answered success (the connection's identity is then the bare JID).
   */
  login(gw: string, conn: string, user: string): Promise<void>;
  /** Everything the router sent to gateways, in order. */
  received: Received[];
  /** AmpWork published to the work queue, in order. */
  work: AmpWork[];
  /** msgIds of work-queue publishes that have resolved (stored), in order. */
  stored: string[];
  /** Sends an envelope with the connection's next seq (an "open" first if the connection is new). */
  send(gw: string, env: Omitted<ToRouter>): number;
  /** Gateways whose heartbeat the harness publishes (as a live gateway would); remove one to let it die. */
  beating: Set<string>;
  /** Gateways whose heartbeat says they read AckBatch (none by default: routers send "ack"). */
  batchAcks: Set<string>;
  /**
   * A NATS restart as the routers live it: while `away`, no beacon arrives and a flush gets no
   * answer; `back()` then announces the reconnect (Bus.onReconnected) and beacons resume.
   */
  outage: { away(): void; back(): void };
  /**
   * The "open" a gateway replays to a router taking its connection over: at the seq acknowledged
   * so far (here: the last one sent), where the new router's sequence starts.
   */
  reopen(gw: string, conn: string): void;
  /** Resends an envelope with an explicit seq. */
  sendRaw(env: ToRouter): void;
  /** Waits for an envelope to a gateway matching `pred` that arrived after `since` (an index into received). */
  next(pred: (e: Received) => boolean, since?: number, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

export const PASSWORD = "pencil";

export interface TestDb {
  users: UserStore;
  rosters: RosterStore;
  sql: SqlClient;
}

/** PGlite user and roster stores with juliet and romeo (password PASSWORD); slow to build, so share it. */
export async function createTestUsers(): Promise<TestDb> {
  const sql = createPgliteClient();
  await migrate(sql, "core");
  const users = createUserStore(sql);
  for (const u of ["juliet", "romeo"]) {
    await users.create({ username: u, domain: "example.com", scram: hashPassword(PASSWORD, { iterations: 4096 }) });
  }
  return { users, rosters: createRosterStore(sql), sql };
}

/** holdWork: the work-queue consumer records work and never acks it, so it stays stored (a stalled worker). */
export async function startHarness({ users, rosters, sql }: Pick<TestDb, "users" | "rosters"> & { sql?: SqlClient }, opts: { offlineEnabled?: boolean; config?: Record<string, unknown>; holdWork?: boolean; wrapSm?: (sm: SmStore) => SmStore } = {}): Promise<Harness> {
  const cluster = `rt${randomSuffix(8)}`;
  const config = configSchema.parse({
    domains: ["example.com"],
    cluster,
    heartbeat: { intervalMs: 50, deadAfterMs: 200 },
    offline: { enabled: opts.offlineEnabled ?? true },
    ...opts.config,
  });
  const stored: string[] = [];
  const outage = outageOf(slowWorkQueue(createMemoryBus(), 30, stored));
  const bus = outage.bus;
  const sessions = createMemorySessionStore();
  const log = createLogger({ service: "session-router", level: "silent" });
  const accounts = sql ? { blocks: createBlockStore(sql), xml: createAccountXmlStore(sql), last: createLastActivityStore(sql) } : undefined;
  const sm = opts.wrapSm ? opts.wrapSm(createMemorySmStore()) : createMemorySmStore();
  const router = await createRouter({ config, bus, sessions, users, rosters, accounts, log, id: "r1", sm });
  const others: Router[] = [];
  const s = subjects(cluster);
  const received: Received[] = [];
  const work: AmpWork[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  for (const gw of ["gw1", "gw2"]) {
    bus.subscribe(s.gatewayInbox(gw), (data) => {
      received.push({ ...decode<ToGateway>(data), gw, storedBefore: stored.length });
      notify();
    });
  }
  const queue = await bus.workQueue(ampQueue(s, config.amp.partitions, config.amp.queue).spec);
  const consumer = await queue.consume(async (m: WorkMessage) => {
    work.push(decode<AmpWork>(m.data));
    if (!opts.holdWork) m.ack();
    notify();
  });
  const beating = new Set(["gw1", "gw2"]);
  const batchAcks = new Set<string>();
  const beat = () => {
    if (outage.isAway()) return;
    for (const id of beating) bus.publish(s.gatewayHeartbeat(id), encode<GatewayHeartbeat>({ id, ts: Date.now(), connections: 1, ...(batchAcks.has(id) ? { batchAcks: true as const } : {}) }));
  };
  beat();
  const beater = setInterval(beat, config.heartbeat.intervalMs);
  await router.start();
  const seqs = new Map<string, number>();

  const harness: Harness = {
    config, bus, sessions, sm, router, received, work, stored, beating, batchAcks, outage,
    via: "r1",
    async addRouter(id) {
      const other = await createRouter({ config, bus, sessions, users, rosters, accounts, log, id, sm });
      await other.start();
      others.push(other);
      return other;
    },
    async login(gw, conn, user) {
      const since = received.length;
      harness.send(gw, { t: "open", conn, domain: "example.com", ip: "127.0.0.1", secure: true });
      const plain = Buffer.from(`\0${user}\0${PASSWORD}`).toString("base64");
      harness.send(gw, { t: "sasl", conn, xml: `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${plain}</auth>` });
      const reply = await harness.next((e) => e.t === "sasl" && e.gw === gw && e.conn === conn, since);
      if (reply.t !== "sasl" || reply.user === undefined) throw new Error(`${user} not authenticated on ${gw}/${conn}: ${reply.t === "sasl" ? reply.xml : reply.t}`);
    },
    send(gw, env) {
      const key = `${gw}/${env.conn}`;
      // A gateway announces every connection with an "open" first: a router takes nothing else first.
      if (!seqs.has(key) && env.t !== "open") harness.send(gw, { t: "open", conn: env.conn, domain: "example.com", ip: "127.0.0.1", secure: true });
      const seq = (seqs.get(key) ?? 0) + 1;
      seqs.set(key, seq);
      harness.sendRaw({ ...env, gw, seq } as ToRouter);
      return seq;
    },
    reopen(gw, conn) {
      harness.sendRaw({ t: "open", gw, conn, seq: seqs.get(`${gw}/${conn}`) ?? 0, domain: "example.com", ip: "127.0.0.1", secure: true });
    },
    sendRaw(env) {
      bus.publish(s.toRouter(harness.via, env.gw), encode(env));
    },
    next(pred, since = 0, timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.slice(since).find(pred);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching envelope within ${timeoutMs} ms; got ${JSON.stringify(received.slice(since))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async close() {
      clearInterval(beater);
      for (const other of others) await other.stop();
      await router.stop();
      await consumer.stop();
      await bus.close();
      await sessions.close();
    },
  };
  return harness;
}

/** The bus with a switch for a NATS outage: flush hangs meanwhile, reconnect handlers run after. */
function outageOf(bus: Bus): { bus: Bus; isAway(): boolean; away(): void; back(): void } {
  let away = false;
  let waiting: (() => void)[] = [];
  const reconnected: (() => void)[] = [];
  return {
    bus: {
      ...bus,
      flush: () => (away ? new Promise<void>((resolve) => waiting.push(resolve)) : bus.flush()),
      onReconnected: (handler) => void reconnected.push(handler),
    },
    isAway: () => away,
    away: () => void (away = true),
    back() {
      away = false;
      for (const resolve of waiting.splice(0)) resolve();
      for (const handler of reconnected) handler();
    },
  };
}

/** The bus with a work queue whose publish takes `delayMs` to be stored, recording each msgId once stored. */
function slowWorkQueue(bus: Bus, delayMs: number, stored: string[]): Bus {
  return {
    ...bus,
    async workQueue(spec) {
      const queue = await bus.workQueue(spec);
      return {
        ...queue,
        consume: queue.consume.bind(queue),
        pending: queue.pending.bind(queue),
        async publish(subject, data, opts) {
          await new Promise((r) => setTimeout(r, delayMs));
          await queue.publish(subject, data, opts);
          stored.push(opts?.msgId ?? "");
        },
      };
    },
  };
}
