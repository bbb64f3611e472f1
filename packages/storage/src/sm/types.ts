// XEP-0198 session state kept in the private tier (docs/stream-management.md): the resumption
// id -> account and resource, the outbound unacknowledged queue with sequence numbers, the count
// of client stanzas handled. Sequence numbers here are unwrapped (1, 2, ...); only the client
// sees them mod 2^32.

export interface SmLimits {
  /** At most this many unacknowledged stanzas, and bytes (docs/architecture.md "Limits"). */
  maxStanzas: number;
  maxBytes: number;
}

export type SmAppend =
  /**
   * Stored as `seq`; `to` is where to publish it now (absent while the session is detached).
   * `repeated`: a stanza with the same `once` key was appended before and `seq` is its number;
   * publishing it again is harmless (a gateway writes each number once).
   */
  | { ok: true; seq: number; to?: { gateway: string; conn: string }; repeated?: true }
  /** "gone": no such session (ended or never existed); "full": the unacked queue is at its limit. */
  | { ok: false; reason: "gone" | "full" };

/** How many `once` keys of appended stanzas a session remembers. */
export const ONCE_KEYS = 1024;

export interface SmQueued {
  seq: number;
  xml: string;
}

export type SmResume =
  | {
      ok: true;
      jid: string;
      /** Client stanzas handled (the server's h). */
      handled: number;
      /** The client's h, unwrapped: everything up to it is acknowledged and dropped. */
      acked: number;
      /** Unacknowledged stanzas after `acked`, oldest first, to be sent again. */
      items: SmQueued[];
      /** The connection the session was attached to before, if it was attached. */
      previous?: { gateway: string; conn: string };
    }
  /** "unknown": no such session for this account; "too-high": the client acknowledged more than was sent. */
  | { ok: false; reason: "unknown" | "too-high"; handled?: number };

export interface SmEnded {
  jid: string;
  conn: string;
  /** What the client never acknowledged: undeliverable now. */
  items: SmQueued[];
}

export interface SmRestore {
  id: string;
  jid: string;
  gateway: string;
  conn: string;
  handled: number;
  acked: number;
  items: SmQueued[];
}

export interface SmStore {
  /** A new attached session (after <enable resume='true'/>). */
  create(s: { id: string; jid: string; gateway: string; conn: string }): Promise<void>;
  /**
   * Numbers and keeps an outbound stanza (one round trip). With `once`, a stanza appended again
   * under the same key (its publisher died before it could record that it was sent, and another
   * sends it again) keeps its first number and is not queued twice; the session remembers its
   * last ONCE_KEYS keys.
   */
  append(id: string, xml: string, limits: SmLimits, once?: string): Promise<SmAppend>;
  /** The client acknowledged everything up to `upTo` (unwrapped): those are dropped. */
  ack(id: string, upTo: number): Promise<void>;
  /** Records the client stanzas handled, for many sessions in one round trip. */
  handled(counts: ReadonlyMap<string, number>): Promise<void>;
  /**
   * Attaches the session of `bare` to a new connection, drops what the client's h (mod 2^32)
   * covers and returns the rest. Works on a detached or an attached session (the old
   * connection may not know yet that its client left).
   */
  resume(id: string, bare: string, h: number, to: { gateway: string; conn: string }): Promise<SmResume>;
  /** The connection is gone but the session waits for resumption until `deadline` (ms). False if not attached to conn. */
  detach(id: string, conn: string, deadline: number): Promise<boolean>;
  /** Detaches every session attached through a dead gateway; returns their ids. */
  detachGateway(gateway: string, deadline: number): Promise<string[]>;
  /**
   * Ends a session: attached to `conn`, or (conn null) detached or being ended. It stays marked
   * as ending until remove(), and is due again at `leaseUntil` should this caller die first.
   */
  end(id: string, conn: string | null, leaseUntil: number): Promise<SmEnded | null>;
  /** Sessions whose deadline (or lease) has passed, each claimed for one caller until leaseUntil. */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<string[]>;
  /**
   * The unacknowledged stanzas numbered after `after`, oldest first (none for an unknown or
   * ending session): what a gateway missed because their publisher died between the append and
   * the publish.
   */
  unacked(id: string, after: number): Promise<SmQueued[]>;
  remove(id: string): Promise<void>;
  /**
   * Re-registration after a data loss (docs/redis-loss.md): an attached session as its gateway
   * still holds it. `items` are the stanzas written to the client and not acknowledged, numbered
   * acked+1, acked+2, ... without a gap; the next append gets acked + items.length + 1. False
   * (and nothing written) when a session of that id exists.
   */
  restore(s: SmRestore): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The client's h (mod 2^32) as an unwrapped count, given the last acknowledged one (XEP-0198 §4).
 * The same arithmetic as unwrapH in @xmppd/stanza (storage depends on no protocol package) and
 * as the Lua in redis-sm-scripts.ts.
 */
export function unwrapH(h: number, acked: number): number {
  const wrapped = acked % 2 ** 32;
  return acked + ((h - wrapped + 2 ** 32) % 2 ** 32);
}

/** A restore's items must be numbered acked+1, acked+2, ... (the queue is kept by position). */
export function checkRestore(s: SmRestore): void {
  if (!Number.isSafeInteger(s.acked) || s.acked < 0 || !Number.isSafeInteger(s.handled) || s.handled < 0) throw new Error("SmStore.restore: counts are non-negative integers");
  s.items.forEach((item, i) => {
    if (item.seq !== s.acked + 1 + i) throw new Error(`SmStore.restore: item ${i} is numbered ${item.seq}, expected ${s.acked + 1 + i}`);
  });
}
