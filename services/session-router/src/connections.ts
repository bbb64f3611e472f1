// Per-connection state and ordering. Each connection's envelopes run strictly one after another
// (a promise chain: RFC 6120 §10.1 in-order processing), while different connections run
// concurrently. Sequence rules (docs/acknowledgements.md): an envelope is taken only if it is the
// next one (seq = lastSeq + 1), so nothing past a gap is ever run or acknowledged; resent ones
// (seq <= lastSeq) are dropped; an "open" (re)starts the sequence at its seq, which the gateway
// sets to what a router has already acknowledged. Work that fails because a dependency is away
// (isTransient) is retried in place, unacknowledged, holding the connection's later envelopes.
import type { Jid } from "@xmppd/jid";
import type { SaslMechanism } from "@xmppd/sasl";

export interface ConnState {
  readonly gw: string;
  readonly conn: string;
  /** Domain the client asked for in its stream header ("open" envelope). */
  domain?: string;
  /** The client's address as its gateway reports it ("open" envelope), for the auth throttle and logs. */
  ip?: string;
  /** tcp, tls, websocket or bosh, as its gateway reports it ("open" envelope); for logs only. */
  transport?: string;
  /** How the connection authenticated (SASL mechanism or XEP-0078), for the log line at bind. */
  authMechanism?: string;
  /** The SASL exchange in progress, if any. */
  sasl?: { mechanism: string; machine: SaslMechanism };
  /** Highest seq accepted into the chain, handed off, and acknowledged to the gateway. */
  lastSeq: number;
  doneSeq: number;
  ackedSeq: number;
  /** The last queued envelope's work while any is queued; IDLE once it has finished. */
  chain: Promise<void>;
  /** When this router last asked the gateway to resend (rate limit of "resend"). */
  resendAskedAt?: number;
  /** Work was given up unacknowledged while stopping: later envelopes are not run either. */
  abandoned?: boolean;
  /**
   * Who this router itself established the connection to be (identity.ts): the bare JID at SASL
   * success, the full JID at bind (also XEP-0078) and XEP-0198 resumption, or one adopted from the
   * session record after a failover. Unset: the router knows nobody on this connection.
   */
  identity?: string;
  /** When a full identity was last found bound to this connection in the session store (identity.ts). */
  checkedAt?: number;
  /** The identity, parsed once for a stream of stanzas. */
  jid?: { text: string; jid: Jid };
  /** Own presence as last seen by this router; unknown after a failover, hence "unavailable". */
  available: boolean;
  priority: number;
  /** The last available presence stanza, written back to the session store after a loss (reregister.ts). */
  presence?: string;
  /** XEP-0280 carbons of this resource: false after bind, undefined (unknown) after a failover. */
  carbons?: boolean;
  /**
   * The connection's resumable XEP-0198 session: set by this router's enable or resume, or after a
   * failover from the verified session record (identity.ts); never from a gateway's word.
   */
  sm?: string;
}

/** What became of an envelope offered to a connection: only "taken" work runs. */
export type Enqueued = "taken" | "duplicate" | "gap";

export interface RetryPolicy {
  /** A failure that means a dependency is away for now: retry, acknowledge nothing. */
  isTransient(err: unknown): boolean;
  /** The router is stopping: a failing envelope is given up unacknowledged (the gateway resends it elsewhere). */
  isStopping(): boolean;
  /** Back-off between attempts: firstMs, doubling up to maxMs. */
  firstMs: number;
  maxMs: number;
  onRetry?(err: unknown, state: ConnState, waitMs: number): void;
}

/**
 * The chain of a connection with nothing queued. Each connection kept its last envelope's settled
 * promise before (about 80 B per idle connection with its reaction records); settled chains are
 * replaced by this one.
 */
const IDLE: Promise<void> = Promise.resolve();

const NEVER_RETRY: RetryPolicy = { isTransient: () => false, isStopping: () => false, firstMs: 100, maxMs: 5000 };

export interface ConnectionTable {
  /** State of a connection, created on first sight. */
  get(gw: string, conn: string): ConnState;
  /** State of a connection this router knows, without creating one. */
  find(gw: string, conn: string): ConnState | undefined;
  /**
   * Queues work for one envelope after the connection's earlier ones; runs nothing unless
   * "taken". `opens`: an "open" envelope, which may (re)start the sequence at its seq. `done` is
   * called once the work finished or failed for good, never while it is being retried, and
   * never for work given up while stopping.
   */
  enqueue(state: ConnState, seq: number, work: () => Promise<void>, done: (state: ConnState, seq: number) => void, opens?: boolean): Enqueued;
  forget(state: ConnState): void;
  /** Forgets every connection of one gateway (it died); returns how many. */
  forgetGateway(gw: string): number;
  /** Resolves when every queued envelope has been processed. */
  idle(): Promise<void>;
  size(): number;
}

export function createConnectionTable(onError: (err: unknown, state: ConnState) => void, retry: RetryPolicy = NEVER_RETRY): ConnectionTable {
  const states = new Map<string, ConnState>();
  const inFlight = new Set<Promise<void>>();
  const key = (gw: string, conn: string) => `${gw}\u0000${conn}`;

  /** Runs work until it succeeds or fails for good; false: given up unacknowledged (stopping). */
  async function attempt(state: ConnState, work: () => Promise<void>): Promise<boolean> {
    for (let waitMs = retry.firstMs; !state.abandoned; waitMs = Math.min(waitMs * 2, retry.maxMs)) {
      try {
        await work();
        return true;
      } catch (err) {
        if (!retry.isTransient(err)) return (onError(err, state), true);
        if (retry.isStopping()) break;
        retry.onRetry?.(err, state, waitMs);
        await new Promise((r) => setTimeout(r, waitMs));
        if (retry.isStopping()) break;
      }
    }
    state.abandoned = true;
    return false;
  }

  return {
    get(gw, conn) {
      let s = states.get(key(gw, conn));
      if (!s) {
        // Every field, optional ones too, from the start: one object shape, with all of them
        // inside the object, instead of a property array grown as the connection goes on.
        s = {
          gw, conn, domain: undefined, ip: undefined, transport: undefined, authMechanism: undefined, sasl: undefined,
          lastSeq: -1, doneSeq: -1, ackedSeq: -1, chain: IDLE, resendAskedAt: undefined, abandoned: undefined,
          identity: undefined, checkedAt: undefined, jid: undefined, available: false, priority: 0, presence: undefined,
          carbons: undefined, sm: undefined,
        };
        states.set(key(gw, conn), s);
      }
      return s;
    },
    find: (gw, conn) => states.get(key(gw, conn)),
    enqueue(state, seq, work, done, opens = false) {
      if (seq <= state.lastSeq) return "duplicate";
      // A fresh state knows no start but an "open"'s: anything else could follow a lost envelope.
      if (seq !== state.lastSeq + 1 && !(opens && seq > state.lastSeq)) return "gap";
      state.lastSeq = seq;
      const next: Promise<void> = state.chain
        .then(() => attempt(state, work))
        .then((finished) => {
          if (finished) done(state, seq);
          if (state.chain === next) state.chain = IDLE;
        })
        .finally(() => inFlight.delete(next));
      inFlight.add(next);
      state.chain = next;
      return "taken";
    },
    forget(state) {
      if (states.get(key(state.gw, state.conn)) === state) states.delete(key(state.gw, state.conn));
    },
    forgetGateway(gw) {
      let n = 0;
      for (const [k, s] of states) if (s.gw === gw) (states.delete(k), n++);
      return n;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    size: () => states.size,
  };
}
