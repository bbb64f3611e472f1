// The queued counter (SessionStore.addQueued), shared by both adapters.

/** A lost decrement heals by expiry: the count lapses this long after its last change. */
export const QUEUED_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** The "nothing stored" mark lapses too: an account that logs in rarely is checked again. */
export const NOTHING_STORED_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function checkDelta(delta: number): number {
  if (!Number.isSafeInteger(delta)) throw new RangeError(`addQueued: delta must be an integer, got ${delta}`);
  return delta;
}
