// The session router: the composition root of the private tier's per-connection work.
import { randomBytes } from "node:crypto";
import { ampQueue, decode, subjects, type Bus, type Returned, type Subscription, type ToRouter } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { parseJid } from "@xmppd/jid";
import { blocking, carbons, createModuleHost, defaultModules, lastActivity, privateStorage, register, roster, vcard, type AccountDataCapability, type ModuleCapabilities, type ServerCaps } from "@xmppd/modules";
import type { Logger } from "@xmppd/observability";
import { isTransient } from "@xmppd/runtime";
import type { AccountXmlStore, BlockStore, LastActivityStore, RosterStore, SessionStore, SmStore, UserStore } from "@xmppd/storage";
import { createMemoryAuthThrottle, createMemorySmStore, type AuthThrottleStore } from "@xmppd/storage";
import type { Registry } from "prom-client";
import { createAckBatcher } from "./acks.ts";
import { createSmRouter } from "./sm-delivery.ts";
import { smClosed } from "./sm-lifecycle.ts";
import { handleSmRequest, replay } from "./sm-requests.ts";
import { createConnectionTable, type ConnState } from "./connections.ts";
import { envelopeFailed } from "./envelope-failure.ts";
import { createResendRequests } from "./resend-requests.ts";
import type { RouterContext } from "./context.ts";
import { isToRouter } from "./envelope.ts";
import { actingAs, isRefusal, refuse, type Refusal } from "./identity.ts";
import { createLiveness } from "./liveness.ts";
import { handleReregister } from "./reregister.ts";
import { createStoreEpoch } from "./store-epoch.ts";
import { createRouterMetrics } from "./metrics.ts";
import { createOrderKeys } from "@xmppd/routing";
import { handlePreauth } from "./preauth.ts";
import { registrationCapability } from "./registration.ts";
import { handleSasl } from "./sasl.ts";
import { createSessionLookup } from "./session-lookup.ts";
import { createClosedConnections, isReturned, takeBack } from "./returned.ts";
import { handleStanza } from "./stanza.ts";
import { sessionGone } from "./presence-broadcast.ts";
import { rosterCapabilities } from "./roster-capabilities.ts";
import { offlineCapability } from "./offline-capability.ts";
import { serverCaps } from "./server-caps.ts";
import { blockingCapability } from "./block-changes.ts";
import { carbonsCapability } from "./carbons.ts";

export interface RouterDeps {
  config: Config;
  bus: Bus;
  sessions: SessionStore;
  users: UserStore;
  /** Rosters (RFC 6121 §2): createRosterStore over the core database. */
  rosters: RosterStore;
  log: Logger;
  /**
   * Per-account data in the core database (createBlockStore, createAccountXmlStore,
   * createLastActivityStore). Without it, blocking (XEP-0191) is neither offered nor enforced.
   */
  accounts?: AccountStores;
  /** Unique per process ([a-z0-9_-]); default config.router.id, else generated. */
  id?: string;
  /** XEP-0198 resumption state (createRedisSmStore with the session store's prefix); default in process. */
  sm?: SmStore;
  /** Authentication throttle (createRedisAuthThrottle with the same prefix); default in process. */
  authThrottle?: AuthThrottleStore;
}

/** Retries of an envelope whose work failed because a dependency is away (connections.ts). */
const RETRY_BACKOFF = { firstMs: 100, maxMs: 5000 };

export interface AccountStores {
  blocks: BlockStore;
  xml: AccountXmlStore;
  last: LastActivityStore;
}

export interface Router {
  readonly id: string;
  start(): Promise<void>;
  /** Announces draining, stops taking envelopes, finishes and acknowledges the ones taken. */
  stop(): Promise<void>;
  isReady(): boolean;
  readonly registry: Registry;
}

export async function createRouter(deps: RouterDeps): Promise<Router> {
  const { config, bus, log } = deps;
  const id = deps.id ?? config.router.id ?? `router-${randomBytes(6).toString("hex")}`;
  const s = subjects(config.cluster);
  const domains = new Set(config.domains.map((d) => parseJid(d).domain));
  const modules = createModuleHost({
    domains: [...domains],
    onHandlerError: (err, key) => log.error({ err, key }, "IQ handler failed"),
    capabilities: capabilities(deps, () => ctx, (gw, conn) => table.get(gw, conn)),
  });
  for (const m of defaultModules) modules.load(m);
  modules.load(roster);
  modules.load(carbons);
  // XEP-0077: with registration disabled the module answers not-allowed.
  modules.load(register);
  // Offered in disco only where it works: with the stores behind it.
  if (deps.accounts) for (const m of [blocking, vcard, privateStorage, lastActivity]) modules.load(m);
  const amp = ampQueue(s, config.amp.partitions, config.amp.queue);
  const work = await bus.workQueue(amp.spec);
  const metrics = createRouterMetrics();
  const ctx: RouterContext = {
    id, config, bus, subjects: s, sessions: deps.sessions, users: deps.users, rosters: deps.rosters, blocklists: deps.accounts?.blocks ?? null,
    lastActivity: deps.accounts?.last ?? null, log: log.child({ router: id }),
    metrics, modules, work, ampQueue: amp, lookup: createSessionLookup(deps.sessions), domains, order: createOrderKeys(),
    fakeSaltKey: await deps.users.serverSecret("scram-fake-salt"),
    sm: createSmRouter(deps.sm ?? createMemorySmStore(), () => ctx),
    authThrottle: deps.authThrottle ?? createMemoryAuthThrottle(config.auth),
    epoch: createStoreEpoch({ id, sessions: deps.sessions, bus, subjects: s, log, onLoss: () => metrics.storeLost() }),
  };
  // A dependency away (isTransient): the envelope is retried in place, unacknowledged, holding the
  // connection's later ones; given up unacknowledged when stopping (the gateway resends it elsewhere).
  const table = createConnectionTable((err, st) => ctx.log.error({ err, gw: st.gw, conn: st.conn }, "envelope failed"), {
    isTransient, isStopping: () => phase !== "running", ...RETRY_BACKOFF,
    onRetry: (err, st, waitMs) => ctx.log.warn({ err, gw: st.gw, conn: st.conn, waitMs }, "envelope failed transiently; retrying, unacknowledged"),
  });
  const acks = createAckBatcher(bus, s, 5, (err) => ctx.log.warn({ err }, "acknowledgements not sent"), () => ctx.sm.flush(), (gw) => liveness.readsAckBatches(gw));
  const resends = createResendRequests(bus, s);
  const closedConns = createClosedConnections();
  let caps: ServerCaps | null = null;
  const liveness = createLiveness(ctx, (gw) => table.forgetGateway(gw), () => caps);
  let inbox: Subscription | null = null;
  let phase: "new" | "running" | "stopping" | "stopped" = "new";

  function onEnvelope(data: Uint8Array, subject: string): void {
    const startedAt = process.hrtime.bigint();
    // The subject names the publishing gateway (NATS permissions let a gateway publish only as
    // itself); an envelope is believed only for that gateway's own connections.
    const gateway = s.senderOf(subject);
    let env: unknown;
    try {
      env = decode(data);
    } catch (err) {
      return void ctx.log.warn({ err, gateway }, "undecodable envelope dropped");
    }
    if (!isToRouter(env) && !isReturned(env)) return void ctx.log.warn({ env, gateway }, "malformed envelope dropped");
    if (env.gw !== gateway) {
      ctx.metrics.refused("gateway-mismatch");
      return void ctx.log.warn({ gateway, claimed: env.gw, conn: env.conn }, "envelope naming another gateway refused");
    }
    // Outside the connection's sequence: it comes after the connection's last envelope.
    if (env.t === "returned") return void takeBackRetrying(env);
    // Only an "open" makes a connection known: anything else first seen here may follow a lost
    // envelope (docs/acknowledgements.md), so the gateway sends its window again, "open" first.
    const st = env.t === "open" ? table.get(env.gw, env.conn) : table.find(env.gw, env.conn);
    if (!st) return void resends.ask(env.gw, env.conn, 0);
    // A replay runs at once (sm-requests.ts); its place in the connection's order counts only for
    // the ack. Only for the identity that owns st.sm: anything else waits its turn to be checked.
    const replayNow = env.t === "sm" && env.op === "replay" && st.sm !== undefined && env.jid === st.identity ? env.after : null;
    let refused = false;
    const work = async (): Promise<void> => {
      if (replayNow !== null) return;
      try {
        refused = (await handle(st, env, startedAt)) === "refused";
      } catch (err) {
        if (isTransient(err)) throw err;
        envelopeFailed(ctx, st, env, err, startedAt);
      }
    };
    // A refused envelope is acknowledged all the same: an honest gateway must not resend it forever.
    const taken = table.enqueue(st, env.seq, work, (done, seq) => {
      acks.done(done, seq);
      // XEP-0198: the client's count of this stanza, stored before the ack (acks.ts prepare).
      if (env.t === "stanza" && env.smh !== undefined && done.sm && !refused) ctx.sm.handled(done.sm, env.smh);
      if (env.t === "closed") table.forget(done);
    }, env.t === "open");
    // A resend of something already taken: acknowledge again once done (the ack may be lost).
    if (taken === "duplicate") acks.reack(st);
    // Nothing past a gap is run or acknowledged: ask for everything from the first one missing.
    else if (taken === "gap") resends.ask(st.gw, st.conn, st.lastSeq + 1, st);
    else if (replayNow !== null) replay(ctx, st, replayNow).catch((err: unknown) => ctx.log.warn({ err, conn: st.conn }, "XEP-0198 replay failed"));
  }

  /** Messages a gateway sends back (returned.ts); a dependency away is waited for, as for envelopes. */
  async function takeBackRetrying(env: Returned): Promise<void> {
    for (let waitMs = RETRY_BACKOFF.firstMs; ; waitMs = Math.min(waitMs * 2, RETRY_BACKOFF.maxMs)) {
      try {
        return await takeBack(ctx, closedConns, env);
      } catch (err) {
        if (!isTransient(err) || phase !== "running") return void ctx.log.error({ err, gateway: env.gw, conn: env.conn }, "messages sent back by a gateway were not stored");
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  /**
   * Invariant 3: the private tier trusts no claim of a gateway. Every JID an envelope names is
   * checked against the identity this router established (identity.ts); the work runs as that
   * identity, or not at all ("refused").
   */
  async function handle(st: ConnState, env: ToRouter, startedAt: bigint): Promise<"refused" | void> {
    const refused = (reason: Refusal, claimed: string | undefined, closeStream = true) => (refuse(ctx, st, reason, env.t, claimed, closeStream), "refused" as const);
    switch (env.t) {
      case "open":
        // Any XEP-0198 session comes from the session record once the connection's JID is verified.
        st.domain = env.domain;
        st.ip = env.ip;
        st.transport = typeof env.transport === "string" ? env.transport.slice(0, 16) : undefined;
        st.sasl = undefined;
        return;
      case "sasl":
      case "preauth":
        // RFC 6120 §6.4.6 / XEP-0078: authenticated once per stream; a gateway answers a later
        // SASL element itself, so one relayed here would switch the connection to another account.
        if (st.identity !== undefined) return refused("already-authenticated", undefined);
        return env.t === "sasl" ? handleSasl(ctx, st, env.xml, env.cb) : handlePreauth(ctx, st, env.xml);
      case "stanza": {
        const as = await actingAs(ctx, st, env.jid);
        if (isRefusal(as)) return refused(as, env.jid);
        const outcome = await handleStanza(ctx, st, env, as, startedAt);
        return outcome ? refused(outcome, env.jid) : undefined;
      }
      case "sm": {
        const as = await actingAs(ctx, st, env.jid);
        if (isRefusal(as)) return refused(as, env.jid);
        const outcome = await handleSmRequest(ctx, st, as, env);
        return outcome ? refused(outcome, env.jid) : undefined;
      }
      case "rereg": {
        const outcome = await handleReregister(ctx, st, env);
        return outcome ? refused(outcome, env.jid) : undefined;
      }
      case "closed": {
        // Without a JID: a connection that never authenticated, unless this router knows better.
        const claimed = env.jid ?? st.identity;
        if (claimed === undefined) return;
        const as = await actingAs(ctx, st, claimed, true);
        // The stream is gone (nothing to reset); an unverifiable connection unbinds nothing.
        if (isRefusal(as)) return refused(as, env.jid, false);
        if (st.sm) return smClosed(ctx, st, env.resumable === true);
        if (as.isBare()) return;
        closedConns.remember(env.gw, env.conn, as.toString());
        const removed = await ctx.sessions.unbind(as.toString(), env.conn);
        // RFC 6121 §4.5.2, §4.6.3: the contacts learn the session is gone.
        if (removed) await sessionGone(ctx, removed);
        return;
      }
    }
  }

  return {
    id,
    registry: metrics.registry,
    isReady: () => phase === "running",
    async start() {
      if (phase !== "new") throw new Error(`router ${id} cannot start: it is ${phase}`);
      inbox = bus.subscribe(s.routerInbox(id), onEnvelope);
      // XEP-0115: computed once the modules are loaded, announced with every beacon.
      caps = await serverCaps(ctx);
      liveness.start();
      phase = "running";
      ctx.log.info({ domains: [...domains] }, "router started");
    },
    async stop() {
      if (phase !== "running") return;
      phase = "stopping";
      // Gateways stop choosing a draining router; give them one beat to move their connections.
      liveness.beat(true);
      await new Promise((r) => setTimeout(r, Math.min(config.heartbeat.intervalMs, 2000)));
      inbox?.unsubscribe();
      await table.idle();
      await acks.flush();
      liveness.stop();
      phase = "stopped";
      ctx.log.info("router stopped");
    },
  };
}

/** What the modules may do beyond answering (RFC 6121 rosters, XEP-0191, XEP-0280). */
function capabilities(deps: RouterDeps, ctx: () => RouterContext, connection: (gw: string, conn: string) => ConnState): ModuleCapabilities {
  return {
    ...rosterCapabilities(deps.rosters, ctx),
    carbons: carbonsCapability(ctx, connection),
    ...(deps.config.registration.enabled ? { registration: registrationCapability(ctx) } : {}),
    // XEP-0013 needs offline storage.
    ...(deps.config.offline.enabled ? { offline: offlineCapability(ctx) } : {}),
    ...(deps.accounts ? { blocking: blockingCapability(deps.accounts.blocks, ctx), accountData: accountData(deps, deps.accounts, ctx) } : {}),
  };
}

function accountData(deps: RouterDeps, accounts: AccountStores, ctx: () => RouterContext): AccountDataCapability {
  return {
    xml: accounts.xml,
    last: accounts.last,
    rosters: deps.rosters,
    isAvailable: async (bare) => (await ctx().sessions.get(bare)).some((s) => s.available),
    startedAt: Date.now(),
  };
}
