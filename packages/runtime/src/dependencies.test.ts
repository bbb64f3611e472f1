import { describe, expect, it } from "vitest";
import { createLogger, createMetrics } from "@xmppd/observability";
import { waitFor } from "@xmppd/testkit";
import { watchDependencies } from "./dependencies.ts";

const log = createLogger({ service: "amp-worker", level: "silent" });

async function upValue(registry: ReturnType<typeof createMetrics>["registry"], dependency: string): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === "xmpp_amp_dependency_up");
  return (m?.values as { labels: { dependency?: string }; value: number }[] | undefined)?.find((v) => v.labels.dependency === dependency)?.value;
}

describe("watchDependencies", () => {
  it("is not ready while a probe fails or hangs, says which, and is ready again after", async () => {
    const { registry } = createMetrics("amp-worker");
    let redis: "up" | "down" | "hung" = "up";
    const watch = watchDependencies({
      registry, log, intervalMs: 20, timeoutMs: 100,
      probes: {
        nats: async () => undefined,
        redis: () => (redis === "up" ? Promise.resolve() : redis === "down" ? Promise.reject(new Error("connect ECONNREFUSED")) : new Promise(() => undefined)),
      },
    });
    try {
      await waitFor(() => watch.isReady());
      redis = "down";
      await waitFor(() => !watch.isReady(), { what: "not ready" });
      expect(watch.describe()).toMatch(/^redis down since .*ECONNREFUSED/);
      expect(await upValue(registry, "redis")).toBe(0);
      expect(await upValue(registry, "nats")).toBe(1);
      redis = "up";
      await waitFor(() => watch.isReady(), { what: "ready again" });
      expect(watch.describe()).toBe("");
      expect(await upValue(registry, "redis")).toBe(1);
      redis = "hung";
      await waitFor(() => !watch.isReady(), { what: "not ready on a probe without answer" });
      expect(watch.describe()).toMatch(/no answer within 100 ms/);
    } finally {
      watch.stop();
    }
  });

  it("is not ready before every dependency has answered once (a router started with Redis away must not say ready)", async () => {
    const { registry } = createMetrics("amp-worker");
    let answer: () => void = () => {};
    const watch = watchDependencies({
      registry, log, intervalMs: 20, timeoutMs: 60_000,
      probes: { nats: async () => undefined, redis: () => new Promise<void>((resolve) => (answer = resolve)) },
    });
    try {
      // nats has answered; redis's first probe is still out.
      await waitFor(async () => (await upValue(registry, "nats")) === 1, { what: "nats up" });
      expect(watch.isReady()).toBe(false);
      expect(watch.describe()).toBe("redis has not answered yet");
      expect(await upValue(registry, "redis")).toBe(0);
      answer();
      await waitFor(() => watch.isReady(), { what: "ready once redis answered" });
    } finally {
      watch.stop();
    }
  });
});
