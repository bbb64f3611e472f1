// Work-queue defaults shared by both adapters so they behave alike.

/** JetStream ack_wait when consume() gives none. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Handlers run at once per consumer instance when consume() gives no concurrency. */
export const DEFAULT_CONCURRENCY = 16;
/** A handler that throws gets its message back after this long, not in a hot loop. */
export const HANDLER_ERROR_NAK_MS = 500;
/** JetStream duplicate_window: publish msgIds are de-duplicated for this long. */
export const DUPLICATE_WINDOW_MS = 120_000;
/** Unacked messages a durable consumer may have out at once, across all workers. */
export const MAX_ACK_PENDING = 10_000;

export function checkConcurrency(value: number | undefined): number {
  const n = value ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`consume concurrency must be an integer >= 1, got ${n}`);
  return n;
}

export function checkAckWait(value: number | undefined): number {
  const n = value ?? DEFAULT_ACK_WAIT_MS;
  if (!Number.isFinite(n) || n < 1) throw new RangeError(`consume ackWaitMs must be >= 1, got ${n}`);
  return n;
}
