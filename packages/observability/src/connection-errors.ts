// Connection errors of a driver (ioredis, pg, NATS) as log lines: JSON through pino, never the
// driver's own stderr print (ioredis writes "[ioredis] Unhandled error event" when its 'error'
// event has no listener), and rate-limited, because a driver that reconnects every few hundred
// milliseconds during an outage reports each attempt. The first error is logged at once; later
// ones at most once per interval, with how many were left out since the last line. Readiness
// (/readyz) and xmpp_<service>_dependency_up say whether the dependency is up now.
import type { Logger } from "./logger.ts";

export type ConnectionErrorSink = (err: unknown) => void;

export function connectionErrorLogger(log: Pick<Logger, "warn">, dependency: string, intervalMs = 30_000, now: () => number = Date.now): ConnectionErrorSink {
  let lastAt = -Infinity;
  let suppressed = 0;
  return (err) => {
    const t = now();
    if (t - lastAt < intervalMs) {
      suppressed++;
      return;
    }
    lastAt = t;
    log.warn({ dependency, err, ...(suppressed > 0 ? { suppressed } : {}) }, `${dependency} connection error`);
    suppressed = 0;
  };
}
