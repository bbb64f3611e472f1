// A registry per service with names `xmpp_<service>_<what>_<unit>` (docs/metrics.md "Naming",
// after Prometheus' naming conventions). Registering a name twice returns the first metric, so modules that
// share a counter need not coordinate; registering it as another type is a programming error.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { metricServiceName } from "./service-name.ts";

export interface Metrics {
  registry: Registry;
  /** `xmpp_<service>_`. */
  prefix: string;
  counter(name: string, help: string, labelNames?: readonly string[]): Counter<string>;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge<string>;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): Histogram<string>;
}

/** `xmpp_<service>_dependency_up{dependency}`. */
export const DEPENDENCY_UP = "dependency_up";

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  const prefix = `xmpp_${metricServiceName(service)}_`;
  collectDefaultMetrics({ register: registry, prefix });

  function existing<C extends MetricClass>(kind: C, fullName: string): InstanceType<C> | undefined {
    const found = registry.getSingleMetric(fullName);
    if (found === undefined) return undefined;
    if (!(found instanceof kind)) throw new Error(`metric ${fullName} is already registered as another type`);
    return found as InstanceType<C>;
  }

  // Every service reports its dependencies (NATS, Redis, Postgres) the same way: @xmppd/runtime's
  // watchDependencies sets it; registered here so each service's registry shows it from the start.
  new Gauge({ name: prefix + DEPENDENCY_UP, help: "1 while the service reaches the dependency (nats, redis, postgres), 0 while it does not", labelNames: ["dependency"], registers: [registry] });
  return {
    registry,
    prefix,
    counter(name, help, labelNames = []) {
      const fullName = prefix + name;
      return existing(Counter, fullName) ?? new Counter({ name: fullName, help, labelNames, registers: [registry] });
    },
    gauge(name, help, labelNames = []) {
      const fullName = prefix + name;
      return existing(Gauge, fullName) ?? new Gauge({ name: fullName, help, labelNames, registers: [registry] });
    },
    histogram(name, help, labelNames = [], buckets) {
      const fullName = prefix + name;
      const config = { name: fullName, help, labelNames, registers: [registry], ...(buckets ? { buckets: [...buckets] } : {}) };
      return existing(Histogram, fullName) ?? new Histogram(config);
    },
  };
}
