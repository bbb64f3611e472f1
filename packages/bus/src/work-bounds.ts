// Bounds of a work queue (WorkQueueSpec.maxMessages / maxBytes) as both adapters apply them when
// an existing queue is opened again with other bounds. Limits are in JetStream's terms: <= 0 is
// unbounded.

/**
 * nats-server enforces a lowered max_msgs / max_bytes at once by deleting the oldest messages,
 * whatever the discard policy: accepted work would vanish. So a limit is lowered only while the
 * stream holds at most half of the new one (room for what routers publish between our look and
 * the update); otherwise the current one stays until a later open finds the backlog drained.
 */
export function safeLimit(current: number, wanted: number, stored: number): number {
  const unbounded = (n: number) => n <= 0;
  const lowering = unbounded(current) ? !unbounded(wanted) : !unbounded(wanted) && wanted < current;
  return lowering && stored > wanted / 2 ? current : wanted;
}

/** WorkQueueSpec's undefined (unbounded) as a JetStream limit, and back. */
export const toLimit = (n: number | undefined): number => n ?? -1;
export const fromLimit = (n: number): number | undefined => (n <= 0 ? undefined : n);
