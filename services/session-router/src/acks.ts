// Batched acknowledgements to gateways: a few milliseconds after a connection's envelopes are
// handed off, flush the bus (every delivery we published has reached the server) and tell the
// gateway the highest seq done. Never one ack per envelope, never a request/reply.
import { encode, type Bus, type Subjects, type ToGateway } from "@xmppd/bus";
import type { ConnState } from "./connections.ts";

/** After a batch could not be prepared or flushed, try again this much later. */
const RETRY_MS = 250;

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
 * be stored first (XEP-0198 appends and handled counts, sm-delivery.ts).
 */
export function createAckBatcher(bus: Bus, s: Subjects, delayMs = 5, onError: (err: unknown) => void = () => {}, prepare?: () => Promise<void>): AckBatcher {
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
    for (const state of batch) {
      const seq = state.doneSeq;
      const ack: ToGateway = { t: "ack", conn: state.conn, seq };
      bus.publish(s.gatewayInbox(state.gw), encode(ack));
      state.ackedSeq = seq;
    }
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
