// Which failures mean "a dependency is away for now" (NATS, Redis or Postgres restarting or
// unreachable) rather than "this piece of work is wrong". Work that failed transiently is retried
// and never acknowledged meanwhile (docs/architecture.md invariant 1); anything else is answered with an
// error. Matched on codes and messages because the drivers share no error class.

/** Node socket errors seen while a server restarts or is unreachable. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTCONN"]);

/**
 * nats.js ErrorCode values (CONNECTION_CLOSED, DISCONNECT, TIMEOUT, ...), Postgres SQLSTATE
 * classes 08 (connection exception), 53 (insufficient resources), 57P0x (admin shutdown, crash,
 * cannot connect now) and 40001/40P01 (serialization failure, deadlock: retry is the cure).
 */
const NATS_CODES = new Set(["CONNECTION_CLOSED", "CONNECTION_DRAINING", "CONNECTION_REFUSED", "CONNECTION_TIMEOUT", "DISCONNECT", "TIMEOUT", "503", "NO_RESPONDERS"]);
const PG_CODE = /^(08...|53...|57P0[1-4]|40001|40P01)$/;

/** ioredis and pg phrase their connection failures in messages, not codes. */
const MESSAGES = [
  /connection is closed/i,
  /max retries per request/i,
  /stream isn't writeable/i,
  /connection terminated/i,
  /terminating connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /loading redis is loading/i,
  /^LOADING /,
  /^READONLY /,
  // ioredis: commands queued when the connection dropped.
  /command aborted due to connection close/i,
  // Redis back from a restart before its ACL users are (they come from an aclfile or `admin
  // redis-acl`); a lasting wrong password shows as Redis down on /readyz meanwhile.
  /^WRONGPASS /,
  /^NOAUTH /,
];

export function isTransient(err: unknown, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > 4) return false;
  const e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  // A full work queue (@xmppd/bus) wraps NATS's answer, code "503" like a server away; but the
  // backlog drains at the workers' pace, and a router retrying would hold the connection all
  // that while: the publisher answers instead (docs/bounds.md).
  if (e.name === "WorkQueueFullError") return false;
  const code = typeof e.code === "string" ? e.code : typeof e.code === "number" ? String(e.code) : "";
  if (SOCKET_CODES.has(code) || NATS_CODES.has(code) || PG_CODE.test(code)) return true;
  const message = typeof e.message === "string" ? e.message : "";
  if (MESSAGES.some((m) => m.test(message))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isTransient(inner, depth + 1))) return true;
  return isTransient(e.cause, depth + 1);
}
