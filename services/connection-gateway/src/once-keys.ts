// Deliveries with an idempotency key (ToGateway "deliver" `once`) are written at most once per
// connection: an AMP event whose first sender died after publishing but before recording the
// send is published again by another worker, and the client must not see it twice.
import type { Connection } from "./connection.ts";

/** Keys remembered per connection; the same bound as the SmStore's (ONCE_KEYS). */
const REMEMBERED = 1024;

const seen = new WeakMap<Connection, Set<string>>();

/** True the first time a connection is given `key`; false for every repeat. */
export function firstTime(conn: Connection, key: string): boolean {
  let keys = seen.get(conn);
  if (!keys) seen.set(conn, (keys = new Set()));
  if (keys.has(key)) return false;
  keys.add(key);
  // A Set iterates in insertion order: the oldest key goes first.
  if (keys.size > REMEMBERED) keys.delete(keys.values().next().value!);
  return true;
}
