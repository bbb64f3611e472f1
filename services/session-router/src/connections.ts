// Per-connection state and ordering. Each connection's envelopes run strictly one after another
// (a promise chain: RFC 6120 §10.1 in-order processing), while different connections run
// concurrently. Resent envelopes (seq <= the last one accepted) are dropped.
import type { Jid } from "@xmppd/jid";
import type { SaslMechanism } from "@xmppd/sasl";

export interface ConnState {
  readonly gw: string;
  readonly conn: string;
  /** Domain the client asked for in its stream header ("open" envelope). */
  domain?: string;
  /** The SASL exchange in progress, if any. */
  sasl?: { mechanism: string; machine: SaslMechanism };
  /** Highest seq accepted into the chain, handed off, and acknowledged to the gateway. */
  lastSeq: number;
  doneSeq: number;
  ackedSeq: number;
  chain: Promise<void>;
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

export interface ConnectionTable {
  /** State of a connection, created on first sight (also mid-stream, after a router failover). */
  get(gw: string, conn: string): ConnState;
  /**
   * Queues work for one envelope after the connection's earlier ones. Returns false (and runs
   * nothing) for a duplicate. `done` is called with the state after the work, even if it threw.
   */
  enqueue(state: ConnState, seq: number, work: () => Promise<void>, done: (state: ConnState, seq: number) => void): boolean;
  forget(state: ConnState): void;
  /** Forgets every connection of one gateway (it died); returns how many. */
  forgetGateway(gw: string): number;
  /** Resolves when every queued envelope has been processed. */
  idle(): Promise<void>;
  size(): number;
}

export function createConnectionTable(onError: (err: unknown, state: ConnState) => void): ConnectionTable {
  const states = new Map<string, ConnState>();
  const inFlight = new Set<Promise<void>>();
  const key = (gw: string, conn: string) => `${gw}\u0000${conn}`;

  return {
    get(gw, conn) {
      let s = states.get(key(gw, conn));
      if (!s) {
        s = { gw, conn, lastSeq: -1, doneSeq: -1, ackedSeq: -1, chain: Promise.resolve(), available: false, priority: 0 };
        states.set(key(gw, conn), s);
      }
      return s;
    },
    enqueue(state, seq, work, done) {
      if (seq <= state.lastSeq) return false;
      state.lastSeq = seq;
      const next = state.chain
        .then(work)
        .catch((err: unknown) => onError(err, state))
        .finally(() => {
          done(state, seq);
          inFlight.delete(next);
        });
      inFlight.add(next);
      state.chain = next;
      return true;
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
