// The AMP work queue as routers and workers both see it: its spec (with its ordered partitions)
// and the subject of an account's work, so both sides agree on where an account's work goes.
import { partitionOf } from "./partition.ts";
import type { AmpWorkKind, Subjects } from "./subjects.ts";
import type { WorkQueueSpec } from "./types.ts";

export interface AmpQueue {
  readonly spec: WorkQueueSpec;
  /** The subject for work about `owner` (a bare JID): its partition keeps that account's order. */
  subject(kind: AmpWorkKind, owner: string): string;
}

/** The stream's bound (config amp.queue): every opener passes it, since the last open sets it. */
export interface AmpQueueBounds {
  maxMessages?: number;
  maxBytes?: number;
}

export function ampQueue(s: Subjects, partitions: number, bounds: AmpQueueBounds = {}): AmpQueue {
  return {
    spec: { stream: s.ampStream(), subjectPrefix: s.ampSubjectPrefix(), durable: s.ampDurable(), partitions: s.ampPartitions(partitions), ...bounds },
    subject: (kind, owner) => s.ampWork(kind, partitionOf(owner, partitions)),
  };
}
