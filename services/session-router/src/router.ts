// The session router: the composition root of the private tier's per-connection work.
import { randomBytes } from "node:crypto";
import { decode, subjects, type Bus, type Subscription, type ToRouter } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import { parseJid, tryParseJid } from "@xmppd/jid";
import { createModuleHost, defaultModules } from "@xmppd/modules";
import type { Logger } from "@xmppd/observability";
import type { SessionStore, UserStore } from "@xmppd/storage";
import type { Registry } from "prom-client";
import { createAckBatcher } from "./acks.ts";
import { createConnectionTable, type ConnState } from "./connections.ts";
import type { RouterContext } from "./context.ts";
import { isToRouter } from "./envelope.ts";
import { createLiveness } from "./liveness.ts";
import { createRouterMetrics } from "./metrics.ts";
import { createOrderKeys } from "./order.ts";
import { handleSasl } from "./sasl.ts";
import { createSessionLookup } from "./session-lookup.ts";
import { handleStanza } from "./stanza.ts";

export interface RouterDeps {
  config: Config;
  bus: Bus;
  sessions: SessionStore;
  users: UserStore;
  log: Logger;
  /** Unique per process ([a-z0-9_-]); default config.router.id, else generated. */
  id?: string;
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
  const modules = createModuleHost({ domains: [...domains], onHandlerError: (err, key) => log.error({ err, key }, "IQ handler failed") });
  for (const m of defaultModules) modules.load(m);
  const work = await bus.workQueue({ stream: s.ampStream(), subjectPrefix: s.ampSubjectPrefix(), durable: s.ampDurable() });
  const metrics = createRouterMetrics();
  const ctx: RouterContext = {
    id, config, bus, subjects: s, sessions: deps.sessions, users: deps.users, log: log.child({ router: id }),
    metrics, modules, work, lookup: createSessionLookup(deps.sessions), domains, order: createOrderKeys(),
    fakeSaltKey: await deps.users.serverSecret("scram-fake-salt"),
  };
  const table = createConnectionTable((err, st) => ctx.log.error({ err, gw: st.gw, conn: st.conn }, "envelope failed"));
  const acks = createAckBatcher(bus, s, 5, (err) => ctx.log.warn({ err }, "acknowledgements not sent"));
  const liveness = createLiveness(ctx, (gw) => table.forgetGateway(gw));
  let inbox: Subscription | null = null;
  let phase: "new" | "running" | "stopping" | "stopped" = "new";

  function onEnvelope(data: Uint8Array): void {
    const startedAt = process.hrtime.bigint();
    let env: unknown;
    try {
      env = decode(data);
    } catch (err) {
      return void ctx.log.warn({ err }, "undecodable envelope dropped");
    }
    if (!isToRouter(env)) return void ctx.log.warn({ env }, "malformed envelope dropped");
    const st = table.get(env.gw, env.conn);
    const taken = table.enqueue(st, env.seq, () => handle(st, env, startedAt), (done, seq) => {
      acks.done(done, seq);
      if (env.t === "closed") table.forget(done);
    });
    // A resend of something already taken: acknowledge again once done (the ack may be lost).
    if (!taken) acks.reack(st);
  }

  async function handle(st: ConnState, env: ToRouter, startedAt: bigint): Promise<void> {
    switch (env.t) {
      case "open":
        st.domain = env.domain;
        st.sasl = undefined;
        return;
      case "sasl":
        return handleSasl(ctx, st, env.xml);
      case "stanza":
        return handleStanza(ctx, st, env, startedAt);
      case "closed": {
        const jid = env.jid ? tryParseJid(env.jid) : null;
        if (jid && !jid.isBare()) await ctx.sessions.unbind(jid.toString(), env.conn);
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
