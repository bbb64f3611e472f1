// Composition root of the AMP worker: consumer of the partitioned work queue -> handler per kind of work
// (XEP-0079 evaluation, offline storage, flushes), plus the expiry timers and the event relay.
import { ampQueue, subjects as subjectsFor } from "@xmppd/bus";
import type { Bus, Consumer, WorkQueue } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import type { Logger, Metrics } from "@xmppd/observability";
import { parseJid } from "@xmppd/jid";
import { createOrderKeys } from "@xmppd/routing";
import type { AmpStore, BlockStore, OfflineStore, RosterStore, SessionStore, SmStore, UserStore } from "@xmppd/storage";
import { startAmpTimers, type Timers } from "./amp/timers.ts";
import type { HandlerTable, WorkContext } from "./context.ts";
import { createBatchDispatcher } from "./batch.ts";
import { handleFlush } from "./handlers/flush.ts";
import { handleMessage } from "./handlers/message.ts";
import { handleOffline } from "./handlers/offline.ts";
import { clearingMarks } from "./nothing-stored.ts";
import { handleRemoved } from "./handlers/removed.ts";
import { createAmpMetrics } from "./metrics.ts";

export interface AmpWorkerDeps {
  config: Config;
  bus: Bus;
  sessions: SessionStore;
  /** The routers' SmStore (openSm); without it, deliveries to resumable sessions are numbered by a router. */
  sm?: SmStore;
  users: Pick<UserStore, "exists">;
  offline: OfflineStore;
  amp: AmpStore;
  roster: Pick<RosterStore, "authorises">;
  /** XEP-0191 block lists (createBlockStore on the core database). */
  blocks?: Pick<BlockStore, "get">;
  log: Logger;
}

export interface AmpWorker {
  start(): Promise<void>;
  /** Stop consuming; in-flight work finishes (acked) or is nak'ed for redelivery. */
  stop(): Promise<void>;
  isReady(): boolean;
  readonly registry: Metrics["registry"];
}

export const DEFAULT_HANDLERS: HandlerTable = { message: handleMessage, flush: handleFlush, offline: handleOffline, removed: handleRemoved };

/** How often the queue's pending count is sampled into the gauge. */
const PENDING_POLL_MS = 5000;

export async function createAmpWorker(deps: AmpWorkerDeps, handlers: HandlerTable = DEFAULT_HANDLERS): Promise<AmpWorker> {
  const s = subjectsFor(deps.config.cluster);
  const { registry, metrics } = createAmpMetrics();
  const domains = new Set(deps.config.domains.map((d) => parseJid(d).domain));
  const offline = clearingMarks(deps.offline, deps.sessions);
  const ctx: WorkContext = { ...deps, offline, subjects: s, metrics, domains, orderKey: createOrderKeys() };
  const queue = await deps.bus.workQueue(ampQueue(s, deps.config.amp.partitions, deps.config.amp.queue).spec);
  let consumer: Consumer | null = null;
  let poller: NodeJS.Timeout | null = null;
  let timers: Timers | null = null;

  return {
    registry,
    isReady: () => consumer !== null,
    async start() {
      if (consumer) return;
      // A partition is taken by one worker at a time, in batches (an account's work stays in order).
      consumer = await queue.consumeBatches(createBatchDispatcher(handlers, ctx), { ackWaitMs: deps.config.amp.ackWaitMs });
      poller = startPendingPoll(queue, ctx);
      timers = startAmpTimers(ctx);
      deps.log.info({ stream: s.ampStream(), partitions: deps.config.amp.partitions }, "amp worker consuming");
    },
    async stop() {
      if (poller) clearInterval(poller);
      poller = null;
      await timers?.stop();
      timers = null;
      const running = consumer;
      consumer = null;
      await running?.stop();
    },
  };
}

function startPendingPoll(queue: WorkQueue, ctx: WorkContext): NodeJS.Timeout {
  const sample = (): void => {
    queue.pending().then(
      (n) => ctx.metrics.queuePending.set(n),
      (err: unknown) => ctx.log.debug({ err }, "could not read AMP queue pending count"),
    );
  };
  sample();
  const timer = setInterval(sample, PENDING_POLL_MS);
  timer.unref();
  return timer;
}
