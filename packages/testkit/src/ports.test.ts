import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, isReachable } from "./ports.ts";

describe("freePort and isReachable", () => {
  it("finds a port nothing listens on, which can then be bound", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await isReachable(port)).toBe(false);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      expect(await isReachable(port)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("stays below the kernel's ephemeral range, which outgoing connections draw from, and never repeats", async () => {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) expect(p).toBeLessThan(low as number);
  });
});
