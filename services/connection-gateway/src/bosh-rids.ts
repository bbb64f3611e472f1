// Request ids of one BOSH session (XEP-0124 §14): requests are taken in rid order, whatever
// order they arrive in (§14.2), within a window of `requests` above the last one taken; a
// lower rid is a retransmission (§14.3); a client may not have more than `requests` open (§11).

export type RidVerdict<T> =
  /** Below the next rid: a retransmission of a request already taken. */
  | { kind: "retransmission" }
  /** The same rid again while it waits for its turn: the new request replaces the old one. */
  | { kind: "repeat"; previous: T }
  /** §14.2: beyond the window; the session ends with item-not-found. */
  | { kind: "beyond" }
  /** §11: more simultaneous requests than allowed; the session ends with policy-violation. */
  | { kind: "overactive" }
  /** Queued; `ready` are the requests whose turn has come, in rid order (maybe none yet). */
  | { kind: "queued"; ready: T[] };

export class RidWindow<T> {
  private readonly early = new Map<number, T>();

  /** `next` is the rid expected after the session creation request. */
  constructor(
    private next: number,
    private readonly requests: number,
  ) {}

  /** Offers a request; `open` is how many taken requests are still unanswered. */
  offer(rid: number, item: T, open: number): RidVerdict<T> {
    if (rid < this.next) return { kind: "retransmission" };
    const previous = this.early.get(rid);
    if (previous !== undefined) {
      this.early.set(rid, item);
      return { kind: "repeat", previous };
    }
    if (rid >= this.next + this.requests) return { kind: "beyond" };
    if (open + this.early.size + 1 > this.requests) return { kind: "overactive" };
    this.early.set(rid, item);
    const ready: T[] = [];
    for (let r = this.next; this.early.has(r); r = ++this.next) {
      ready.push(this.early.get(r)!);
      this.early.delete(r);
    }
    return { kind: "queued", ready };
  }

  /** Whether `rid` is a new request (not a retransmission). */
  isNew(rid: number): boolean {
    return rid >= this.next;
  }

  /** Requests still waiting for their turn. */
  get waiting(): number {
    return this.early.size;
  }

  /** Removes and returns the requests still waiting (the session is ending). */
  drain(): T[] {
    const all = [...this.early.values()];
    this.early.clear();
    return all;
  }
}
