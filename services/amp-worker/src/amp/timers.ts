// The worker's background passes: the durable expiry timers (DP-21: every worker looks for due
// expire-at rules every amp.expiryIntervalMs; the owner's lock makes exactly one of them fire each
// rule), the outbox relay for events whose recorder died, and housekeeping gauges.
import type { WorkContext } from "../context.ts";
import { EVENT_CLAIM_MS, sendRecorded } from "./events.ts";
import { expireOwner } from "./expiry.ts";

const RELAY_MS = 1000;
const GAUGE_MS = 5000;
/** Sent events are kept this long: the key blocks a re-send by a work item redelivered later. */
const KEEP_SENT_MS = 24 * 3600_000;
const BATCH = 100;

export interface Timers {
  stop(): Promise<void>;
}

export function startAmpTimers(ctx: WorkContext): Timers {
  const running = new Set<Promise<void>>();
  const every = (ms: number, name: string, task: () => Promise<void>): NodeJS.Timeout => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const run = task()
        .catch((err: unknown) => ctx.log.warn({ err, task: name }, "AMP background task failed; retrying next round"))
        .finally(() => ((busy = false), running.delete(run)));
      running.add(run);
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = [
    every(ctx.config.amp.expiryIntervalMs, "expiry", () => sweepExpired(ctx)),
    every(RELAY_MS, "outbox relay", () => relayStale(ctx)),
    every(GAUGE_MS, "gauges", async () => {
      ctx.metrics.timersPending.set(await ctx.amp.pendingTimers());
      await ctx.amp.pruneSent(KEEP_SENT_MS);
    }),
  ];
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(running);
    },
  };
}

async function sweepExpired(ctx: WorkContext): Promise<void> {
  for (const owner of await ctx.amp.dueOwners(new Date(), BATCH)) await expireOwner(ctx, owner);
}

async function relayStale(ctx: WorkContext): Promise<void> {
  const events = await ctx.amp.claimStale(BATCH, EVENT_CLAIM_MS);
  if (events.length > 0) ctx.log.info({ n: events.length }, "relaying AMP events left unsent by a worker that stopped");
  await sendRecorded(ctx, events);
}
