// Composition root of the AMP worker: consumer -> per-account lane -> handler per kind of work. The offline path
// is the only one for now; XEP-0079 rule evaluation slots in as a stage before these handlers.
import { subjects as subjectsFor } from "@xmppd/bus";
import type { Bus, Consumer, WorkQueue } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import type { Logger, Metrics } from "@xmppd/observability";
import type { OfflineStore, SessionStore, UserStore } from "@xmppd/storage";
import type { HandlerTable, WorkContext } from "./context.ts";
import { createDispatcher } from "./consumer.ts";
import { handleFlush } from "./handlers/flush.ts";
import { handleMessage } from "./handlers/message.ts";
import { createAmpMetrics } from "./metrics.ts";
import { perOwner } from "./owner-lanes.ts";

export interface AmpWorkerDeps {
  config: Config;
  bus: Bus;
  sessions: SessionStore;
  users: UserStore;
  offline: OfflineStore;
  log: Logger;
}

export interface AmpWorker {
  start(): Promise<void>;
  /** Stop consuming; in-flight work finishes (acked) or is nak'ed for redelivery. */
  stop(): Promise<void>;
  isReady(): boolean;
  readonly registry: Metrics["registry"];
}

export const DEFAULT_HANDLERS: HandlerTable = { message: handleMessage, flush: handleFlush };

/** How often the queue's pending count is sampled into the gauge. */
const PENDING_POLL_MS = 5000;

export async function createAmpWorker(deps: AmpWorkerDeps, handlers: HandlerTable = DEFAULT_HANDLERS): Promise<AmpWorker> {
  const s = subjectsFor(deps.config.cluster);
  const { registry, metrics } = createAmpMetrics();
  const ctx: WorkContext = { ...deps, subjects: s, metrics };
  const queue = await deps.bus.workQueue({ stream: s.ampStream(), subjectPrefix: s.ampSubjectPrefix(), durable: s.ampDurable() });
  let consumer: Consumer | null = null;
  let poller: NodeJS.Timeout | null = null;

  return {
    registry,
    isReady: () => consumer !== null,
    async start() {
      if (consumer) return;
      consumer = await queue.consume(createDispatcher(perOwner(handlers), ctx), { concurrency: deps.config.amp.concurrency });
      poller = startPendingPoll(queue, ctx);
      deps.log.info({ stream: s.ampStream(), concurrency: deps.config.amp.concurrency }, "amp worker consuming");
    },
    async stop() {
      if (poller) clearInterval(poller);
      poller = null;
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
