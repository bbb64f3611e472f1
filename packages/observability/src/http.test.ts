import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { startHttp, type OpsHttp } from "./http.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";

const log = createLogger({ service: "test", level: "silent", destination: new Writable({ write: (_c, _e, done) => done() }) });
let server: OpsHttp | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${server?.port}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

describe("startHttp", () => {
  it("serves metrics, health and 404 on a chosen free port", async () => {
    const metrics = createMetrics("session-router");
    metrics.counter("routed_total", "Routed").inc(5);
    server = await startHttp({ host: "127.0.0.1", port: 0, registry: metrics.registry, isReady: () => true, log });
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe("127.0.0.1");
    const m = await get("/metrics");
    expect(m.status).toBe(200);
    expect(m.type).toContain("text/plain");
    expect(m.body).toContain("xmpp_router_routed_total 5");
    expect(await get("/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    expect((await get("/nope")).status).toBe(404);
    expect((await get("/healthz", { method: "POST" })).status).toBe(405);
  });

  it("answers /readyz from isReady, sync or async, and 503 when it throws", async () => {
    let state: boolean | Error = false;
    const isReady = async () => {
      if (state instanceof Error) throw state;
      return state;
    };
    server = await startHttp({ host: "127.0.0.1", port: 0, registry: createMetrics("amp-worker").registry, isReady, log });
    expect((await get("/readyz")).status).toBe(503);
    state = true;
    expect(await get("/readyz?verbose=1")).toMatchObject({ status: 200, body: "ready\n" });
    state = new Error("bus down");
    expect((await get("/readyz")).status).toBe(503);
  });

  it("closes even with a keep-alive connection open and frees the port", async () => {
    server = await startHttp({ host: "127.0.0.1", port: 0, registry: createMetrics("x").registry, isReady: () => true, log });
    await get("/healthz", { headers: { connection: "keep-alive" } });
    const { port } = server;
    await server.close();
    server = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });

  it("rejects when the port is taken", async () => {
    server = await startHttp({ host: "127.0.0.1", port: 0, registry: createMetrics("y").registry, isReady: () => true, log });
    await expect(startHttp({ host: "127.0.0.1", port: server.port, registry: createMetrics("z").registry, isReady: () => true, log })).rejects.toThrow(/EADDRINUSE/);
  });
});
