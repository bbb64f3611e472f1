import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { connect } from "node:net";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { freePort, isReachable } from "./ports.ts";
import { ensureServices } from "./services.ts";
import { startNats, startRedis } from "./start-services.ts";
import { waitFor } from "./wait.ts";

const run = promisify(execFile);

/** The first line a NATS server sends: INFO {json}. */
function natsInfo(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.setTimeout(3000, () => socket.destroy(new Error("no INFO")));
    socket.once("error", reject);
    socket.once("data", (chunk) => {
      socket.destroy();
      resolve(JSON.parse(chunk.toString().replace(/^INFO /, "").trim()) as Record<string, unknown>);
    });
  });
}

describe("ensureServices", () => {
  it("returns loopback URLs of reachable services, once per process", async () => {
    const [a, b] = await Promise.all([ensureServices(), ensureServices()]);
    expect(a).toBe(b);
    expect(a).toEqual({
      natsUrl: "nats://127.0.0.1:4222",
      redisUrl: "redis://127.0.0.1:6379",
      pgAdminUrl: "postgres://postgres@127.0.0.1:5432/postgres",
    });
    expect(await Promise.all([4222, 6379, 5432].map((p) => isReachable(p)))).toEqual([true, true, true]);
    expect((await natsInfo(4222)).jetstream).toBe(true);
  });
});

describe("service starters (on private ports)", () => {
  it("starts nats-server with JetStream", async () => {
    const port = await freePort();
    const { pid, storeDir } = startNats(port);
    try {
      await waitFor(() => isReachable(port), { timeoutMs: 10_000, intervalMs: 100 });
      expect((await natsInfo(port)).jetstream).toBe(true);
    } finally {
      process.kill(pid, "SIGTERM");
      await waitFor(async () => !(await isReachable(port)), { timeoutMs: 5000 });
      rmSync(storeDir, { recursive: true, force: true });
    }
  });

  it("starts redis-server as a daemon", async () => {
    const port = await freePort();
    await startRedis(port);
    try {
      await waitFor(() => isReachable(port), { timeoutMs: 10_000, intervalMs: 100 });
      const { stdout } = await run("redis-cli", ["-p", String(port), "config", "get", "save"]);
      expect(stdout.split("\n")[1]).toBe("");
    } finally {
      await run("redis-cli", ["-p", String(port), "shutdown", "nosave"]).catch(() => undefined);
    }
    expect(await isReachable(port)).toBe(false);
  });
});
