// The work-queue consumer: decode, dispatch to the handler for the work's kind, then ack or nak.
// A message is acknowledged only once its handler has finished (deliveries flushed or the row
// committed); a failing handler naks with a growing delay so the work is redelivered, not lost.
import { decode } from "@xmppd/bus";
import type { AmpWork, WorkMessage } from "@xmppd/bus";
import { PoisonWorkError } from "./context.ts";
import type { HandlerTable, Outcome, WorkContext, WorkMeta } from "./context.ts";

const NAK_BASE_MS = 500;
const NAK_MAX_MS = 30_000;

/** Redelivery delay: doubles per attempt, capped, so a down database is not hammered. */
export function nakDelay(deliveryCount: number): number {
  return Math.min(NAK_MAX_MS, NAK_BASE_MS * 2 ** Math.max(0, deliveryCount - 1));
}

export function createDispatcher(handlers: HandlerTable, ctx: WorkContext): (msg: WorkMessage) => Promise<void> {
  return async (msg) => {
    const started = performance.now();
    let kind = "unknown";
    let outcome: Outcome;
    try {
      const work = decodeWork(msg.data);
      kind = work.t;
      outcome = await dispatch(handlers, work, ctx, { deliveryCount: msg.deliveryCount });
      msg.ack();
    } catch (err) {
      outcome = settleFailure(msg, err, kind, ctx);
    }
    ctx.metrics.workProcessed.inc({ kind, outcome });
    ctx.metrics.workDuration.observe({ kind }, (performance.now() - started) / 1000);
  };
}

function dispatch(handlers: HandlerTable, work: AmpWork, ctx: WorkContext, meta: WorkMeta): Promise<Outcome> {
  // The table is keyed by kind; the cast only restates that `work.t` selects the handler's input.
  const handler = handlers[work.t] as (w: AmpWork, c: WorkContext, m: WorkMeta) => Promise<Outcome>;
  return handler(work, ctx, meta);
}

function settleFailure(msg: WorkMessage, err: unknown, kind: string, ctx: WorkContext): Outcome {
  if (err instanceof PoisonWorkError) {
    ctx.log.error({ err, kind, subject: msg.subject }, "unprocessable AMP work dropped");
    msg.ack();
    return "invalid";
  }
  const delayMs = nakDelay(msg.deliveryCount);
  ctx.log.warn({ err, kind, attempt: msg.deliveryCount, delayMs }, "AMP work failed, will be redelivered");
  msg.nak(delayMs);
  return "retry";
}

function decodeWork(data: Uint8Array): AmpWork {
  let work: AmpWork;
  try {
    work = decode<AmpWork>(data);
  } catch (err) {
    throw new PoisonWorkError("undecodable AMP work", { cause: err });
  }
  if (work?.t !== "message" && work?.t !== "flush" && work?.t !== "offline" && work?.t !== "removed") throw new PoisonWorkError(`unknown AMP work kind ${JSON.stringify((work as { t?: unknown })?.t)}`);
  return work;
}
