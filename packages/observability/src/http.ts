// The operations endpoint every service runs: /metrics (Prometheus text), /healthz (liveness:
// the process answers) and /readyz (readiness: the service's own check, e.g. bus connected).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.ts";

export interface OpsHttpOptions {
  host: string;
  /** 0 picks a free port; the one chosen is returned. */
  port: number;
  registry: Registry;
  isReady: () => boolean | Promise<boolean>;
  /** Why the service is not ready (e.g. "redis: down since ..."), written in the 503 body. */
  readyDetail?: () => string;
  log: Logger;
  /** HTTP upgrades (the gateway's WebSocket endpoint); without it upgrade requests are dropped. */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Other HTTP endpoints (the gateway's BOSH /http-bind): returns true when it took the request. */
  onRequest?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface OpsHttp {
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

async function ready(isReady: OpsHttpOptions["isReady"], log: Logger): Promise<boolean> {
  try {
    return await isReady();
  } catch (err) {
    log.warn({ err }, "readiness check failed");
    return false;
  }
}

async function route(req: IncomingMessage, res: ServerResponse, options: OpsHttpOptions): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const known = path === "/metrics" || path === "/healthz" || path === "/readyz";
  if (!known) return send(res, 404, "not found\n");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return send(res, 405, "method not allowed\n");
  }
  if (path === "/healthz") return send(res, 200, "ok\n");
  if (path === "/readyz") {
    const isReady = await ready(options.isReady, options.log);
    const detail = isReady ? "" : (options.readyDetail?.() ?? "");
    return send(res, isReady ? 200 : 503, isReady ? "ready\n" : `not ready${detail ? `: ${detail}` : ""}\n`);
  }
  send(res, 200, await options.registry.metrics(), options.registry.contentType);
}

export function startHttp(options: OpsHttpOptions): Promise<OpsHttp> {
  const server = createServer((req, res) => {
    if (options.onRequest?.(req, res)) return;
    route(req, res, options).catch((err: unknown) => {
      options.log.error({ err, url: req.url }, "ops http request failed");
      if (!res.headersSent) send(res, 500, "internal error\n");
      else res.destroy();
    });
  });
  if (options.onUpgrade) server.on("upgrade", options.onUpgrade);
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // Keep-alive sockets (Prometheus scrapers) would otherwise hold close() open.
      server.closeAllConnections();
    });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      options.log.info({ host: options.host, port }, "ops http listening");
      resolve({ port, close });
    });
  });
}
