// The accounting of one phase: every message sent, whether the server took responsibility for
// it (its <a h/> covered it), and what became of it: delivered (once, in order), bounced to its
// sender, still stored offline at the end, or lost. Invariant 1 of docs/architecture.md is "lost = 0".

export type MessageKind = "plain" | "amp";

export interface SentMessage {
  id: string;
  from: string;
  to: string;
  kind: MessageKind;
  seq: number;
  sentAt: number;
  acceptedAt?: number;
  deliveries: number;
  bounced: boolean;
  /** Written again on a new session after a failed resumption (a duplicate may be the client's). */
  resent: boolean;
}

export interface PhaseCounts {
  sent: number;
  accepted: number;
  delivered: number;
  stored: number;
  bounced: number;
  lost: number;
  duplicated: number;
  /** Of the duplicates, those of messages the client itself sent twice (after a failed resumption). */
  duplicatedByResend: number;
  reordered: number;
  /** Up to 20 ids of lost messages, to look for in the logs. */
  lostIds: string[];
}

export class Ledger {
  readonly messages = new Map<string, SentMessage>();
  /** Delivery timestamps (ms), for the recovery time. */
  readonly deliveredAt: number[] = [];
  private readonly lastSeq = new Map<string, number>();
  private reordered = 0;
  private duplicated = 0;
  private duplicatedByResend = 0;

  constructor(readonly tag: string) {}

  record(m: Omit<SentMessage, "deliveries" | "bounced" | "resent">): void {
    this.messages.set(m.id, { ...m, deliveries: 0, bounced: false, resent: false });
  }

  accepted(id: string, at = Date.now()): void {
    const m = this.messages.get(id);
    if (m && m.acceptedAt === undefined) m.acceptedAt = at;
  }

  resent(id: string): void {
    const m = this.messages.get(id);
    if (m) m.resent = true;
  }

  /** A message with one of our ids reached `recipient` (bare JID); others' ids are ignored. */
  delivered(id: string, recipient: string, at = Date.now()): void {
    const m = this.messages.get(id);
    if (!m || m.to !== recipient) return;
    m.deliveries++;
    if (m.deliveries > 1) {
      this.duplicated++;
      if (m.resent) this.duplicatedByResend++;
      return;
    }
    this.deliveredAt.push(at);
    // Invariant 2: per sender and recipient, messages of one kind arrive in the order sent.
    const pair = `${m.from}>${m.to}>${m.kind}`;
    const last = this.lastSeq.get(pair) ?? -1;
    if (m.seq < last) this.reordered++;
    else this.lastSeq.set(pair, m.seq);
  }

  bounced(id: string): void {
    const m = this.messages.get(id);
    if (m) m.bounced = true;
  }

  /** Accepted messages not yet delivered or bounced. */
  outstanding(): SentMessage[] {
    return [...this.messages.values()].filter((m) => m.acceptedAt !== undefined && m.deliveries === 0 && !m.bounced);
  }

  counts(storedIds: ReadonlySet<string>): PhaseCounts {
    let accepted = 0, delivered = 0, stored = 0, bounced = 0, lost = 0;
    const lostIds: string[] = [];
    for (const m of this.messages.values()) {
      if (m.acceptedAt === undefined) continue;
      accepted++;
      if (m.deliveries > 0) delivered++;
      else if (m.bounced) bounced++;
      else if (storedIds.has(m.id)) stored++;
      else {
        lost++;
        if (lostIds.length < 20) lostIds.push(m.id);
      }
    }
    return {
      sent: this.messages.size, accepted, delivered, stored, bounced, lost,
      duplicated: this.duplicated, duplicatedByResend: this.duplicatedByResend, reordered: this.reordered, lostIds,
    };
  }
}
