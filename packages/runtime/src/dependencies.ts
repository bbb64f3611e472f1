// Whether the servers a service needs answer now: each is probed on a timer (a NATS round trip,
// a Redis PING, a Postgres SELECT 1), bounded by a timeout so a half-dead server counts as down.
// /readyz says not ready, and why, while any is down; xmpp_<service>_dependency_up shows each.
// Nothing here exits or restarts: the drivers reconnect by themselves with back-off, and work
// that fails meanwhile is retried unacknowledged (isTransient).
import type { Registry, Gauge } from "prom-client";
import { DEPENDENCY_UP, type Logger } from "@xmppd/observability";

export type DependencyName = "nats" | "redis" | "postgres";

export interface DependencyWatch {
  /** True while every dependency answered its last probe. */
  isReady(): boolean;
  /** The dependencies down now and since when, for the /readyz body; "" when all are up. */
  describe(): string;
  stop(): void;
}

export interface WatchOptions {
  /** One probe per dependency the service needs; it resolves when the server answered. */
  probes: Partial<Record<DependencyName, () => Promise<unknown>>>;
  registry: Registry;
  log: Pick<Logger, "warn" | "info">;
  intervalMs?: number;
  timeoutMs?: number;
}

export function watchDependencies(o: WatchOptions): DependencyWatch {
  const intervalMs = o.intervalMs ?? 1000;
  const timeoutMs = o.timeoutMs ?? 2000;
  const gauge = o.registry.getMetricsAsArray().find((m) => m.name.endsWith(`_${DEPENDENCY_UP}`)) as Gauge<string> | undefined;
  const downSince = new Map<DependencyName, { at: Date; err: string }>();
  const names = Object.keys(o.probes) as DependencyName[];
  // Down until its first answer: a service started while Redis is away is not ready meanwhile
  // (the first probe can take timeoutMs to fail).
  const neverAnswered = new Set<DependencyName>(names);
  for (const name of names) gauge?.set({ dependency: name }, 0);
  const inFlight = new Set<DependencyName>();

  async function probe(name: DependencyName): Promise<void> {
    if (inFlight.has(name)) return;
    inFlight.add(name);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        o.probes[name]!(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      const was = downSince.get(name);
      if (was) o.log.info({ dependency: name, downSince: was.at }, "dependency is back");
      downSince.delete(name);
      neverAnswered.delete(name);
      gauge?.set({ dependency: name }, 1);
    } catch (err) {
      if (!downSince.has(name)) {
        o.log.warn({ dependency: name, err }, "dependency is down; not ready until it is back");
        downSince.set(name, { at: new Date(), err: err instanceof Error ? err.message : String(err) });
      }
      gauge?.set({ dependency: name }, 0);
    } finally {
      clearTimeout(timer);
      inFlight.delete(name);
    }
  }

  const tick = (): void => {
    for (const name of names) void probe(name);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    isReady: () => downSince.size === 0 && neverAnswered.size === 0,
    describe: () => [
      ...[...downSince].map(([name, d]) => `${name} down since ${d.at.toISOString()} (${d.err})`),
      ...[...neverAnswered].filter((name) => !downSince.has(name)).map((name) => `${name} has not answered yet`),
    ].join("; "),
    stop: () => clearInterval(timer),
  };
}
