import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";
import { metricServiceName } from "./service-name.ts";

describe("metricServiceName", () => {
  it("shortens the three tiers and cleans other names", () => {
    expect(metricServiceName("connection-gateway")).toBe("gateway");
    expect(metricServiceName("session-router")).toBe("router");
    expect(metricServiceName("amp-worker")).toBe("amp");
    expect(metricServiceName("standalone")).toBe("standalone");
    expect(metricServiceName("Bench-Tool")).toBe("bench_tool");
    expect(() => metricServiceName("1x")).toThrow(/cannot start a metric name/);
  });
});

describe("createMetrics", () => {
  it("prefixes metrics and default metrics with xmpp_<service>_", async () => {
    const metrics = createMetrics("connection-gateway");
    const stanzas = metrics.counter("stanzas_total", "Stanzas read", ["kind"]);
    stanzas.inc({ kind: "message" }, 2);
    metrics.gauge("connections", "Open connections").set(3);
    metrics.histogram("publish_seconds", "Publish latency", [], [0.001, 0.01]).observe(0.005);
    const text = await metrics.registry.metrics();
    expect(text).toContain('xmpp_gateway_stanzas_total{kind="message"} 2');
    expect(text).toContain("xmpp_gateway_connections 3");
    expect(text).toContain('xmpp_gateway_publish_seconds_bucket{le="0.01"} 1');
    expect(text).toContain("xmpp_gateway_process_cpu_seconds_total");
    expect(text).not.toMatch(/^(?!#)(?!xmpp_gateway_)\S+/m);
  });

  it("keeps registries apart and returns the same metric for the same name", async () => {
    const a = createMetrics("session-router");
    const b = createMetrics("amp-worker");
    const first = a.counter("routed_total", "Routed");
    expect(a.counter("routed_total", "Routed")).toBe(first);
    expect(() => a.gauge("routed_total", "Routed")).toThrow(/another type/);
    first.inc();
    expect(await b.registry.metrics()).not.toContain("routed_total");
  });
});
