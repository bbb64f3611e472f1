// Batched acknowledgements to gateways: a few milliseconds after a connection's envelopes are
// handed off, flush the bus (every delivery we published has reached the server) and tell the
// gateway the highest seq done. Never one ack per envelope, never a request/reply. A gateway that
// reads AckBatch gets one message for all its connections of the batch: at a few thousand
// messages/s nearly every envelope's connection is in a batch of its own, so an ack per
// connection was another bus message per stanza.
import { encode, type AckBatch, type Bus, type Subjects, type ToGateway } from "@xmppd/bus";
import type { ConnState } from "./connections.ts";

/** After a batch could not be prepared or flushed, try again this much later. */
const RETRY_MS = 250;
/** Acknowledgements per AckBatch message: a few tens of KiB, far below any bus payload limit. */
export const ACKS_PER_MESSAGE = 1000;

export interface AckBatcher {
  /** Records that `seq` of this connection is handed off. */
  done(state: ConnState, seq: number): void;
  /** Marks a connection to be acknowledged again (a gateway resent what we already did). */
  reack(state: ConnState): void;
  /** Sends what is pending now. */
  flush(): Promise<void>;
}

/**
 * `prepare` runs before each batch is acknowledged: what the acknowledged envelopes caused must
 * be stored first (XEP-0198 appends and handled counts, sm-delivery.ts). `readsBatches(gw)`:
 * whether that gateway announced it reads AckBatch (its beacon's `batchAcks`).
 */
export function createAckBatcher(
  bus: Bus, s: Subjects, delayMs = 5, onError: (err: unknown) => void = () => {}, prepare?: () => Promise<void>, readsBatches: (gw: string) => boolean = () => false,
): AckBatcher {
  let dirty = new Set<ConnState>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  function schedule(ms = delayMs): void {
    timer ??= setTimeout(() => {
      timer = null;
      running = running.then(send).catch(onError);
    }, ms);
  }

  async function send(): Promise<void> {
    if (dirty.size === 0) return;
    const batch = dirty;
    dirty = new Set();
    try {
      if (prepare) await prepare();
      await bus.flush();
    } catch (err) {
      // Redis or NATS away: the batch is acknowledged later, not forgotten (the gateway would
      // otherwise wait for its retransmit interval).
      for (const state of batch) dirty.add(state);
      schedule(RETRY_MS);
      throw err;
    }
    const byGateway = new Map<string, [conn: string, seq: number][]>();
    for (const state of batch) {
      const seq = state.doneSeq;
      state.ackedSeq = seq;
      if (readsBatches(state.gw)) {
        const acks = byGateway.get(state.gw);
        if (acks && acks.length < ACKS_PER_MESSAGE) acks.push([state.conn, seq]);
        else {
          if (acks) publishBatch(state.gw, acks);
          byGateway.set(state.gw, [[state.conn, seq]]);
        }
        continue;
      }
      const ack: ToGateway = { t: "ack", conn: state.conn, seq };
      bus.publish(s.gatewayInbox(state.gw), encode(ack));
    }
    for (const [gw, acks] of byGateway) publishBatch(gw, acks);
  }

  function publishBatch(gw: string, acks: AckBatch["acks"]): void {
    const msg: AckBatch = { t: "acks", acks };
    bus.publish(s.gatewayInbox(gw), encode(msg));
  }

  return {
    done(state, seq) {
      if (seq > state.doneSeq) state.doneSeq = seq;
      dirty.add(state);
      schedule();
    },
    reack(state) {
      if (state.doneSeq < 0) return;
      dirty.add(state);
      schedule();
    },
    async flush() {
      if (timer) clearTimeout(timer), (timer = null);
      running = running.then(send).catch(onError);
      await running;
    },
  };
}
