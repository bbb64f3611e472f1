// XMPP over WebSocket (RFC 7395) on the gateway's HTTP and HTTPS ports: the upgrade handler for
// /xmpp-websocket. The `xmpp` subprotocol is required (§3.1); messages are capped at about
// twice the stanza limit (docs/architecture.md "Limits"), the framing then applies the exact limits.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { WebSocketServer } from "ws";
import type { Accept } from "./accept.ts";
import type { GatewayContext } from "./context.ts";
import { isTlsRequest } from "./https-listener.ts";
import { WsTransport } from "./ws-transport.ts";

export const WEBSOCKET_PATH = "/xmpp-websocket";
const SUBPROTOCOL = "xmpp";

export interface WebSocketEndpoint {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuses further upgrades. */
  close(): void;
}

export function websocketEndpoint(ctx: GatewayContext, accept: Accept): WebSocketEndpoint {
  const { limits, websocket } = ctx.config.gateway;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 2 * limits.stanzaBytes,
    // No compression on XMPP streams (docs/architecture.md "Limits"; compression leaks secrets, cf. CRIME).
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  let closed = false;
  return {
    upgrade(req, socket, head) {
      // The HTTP server stops watching a socket it hands over for an upgrade; a reset must not
      // become an unhandled error that takes the process down (docs/architecture.md invariant 4).
      socket.on("error", () => socket.destroy());
      const refusal = refusalFor(req, closed);
      if (refusal !== null) return void socket.end(refusal);
      const ip = req.socket.remoteAddress ?? "unknown";
      // wss:// on the HTTPS port, or ws:// behind an ingress that terminated TLS: no STARTTLS, secure.
      const isSecure = isTlsRequest(req, websocket.tlsTerminatedByProxy);
      const ownTls = (req.socket as Partial<TLSSocket>).encrypted === true ? (req.socket as TLSSocket) : undefined;
      wss.handleUpgrade(req, socket, head, (ws) => accept(new WsTransport(ws, ip, isSecure, ownTls)));
    },
    close() {
      closed = true;
    },
  };
}

/** An HTTP error response for an upgrade we do not take, or null to take it. */
function refusalFor(req: IncomingMessage, closed: boolean): string | null {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (path !== WEBSOCKET_PATH) return httpError(404, "Not Found", "no WebSocket endpoint here\n");
  if (closed) return httpError(503, "Service Unavailable", "shutting down\n");
  const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
  // RFC 7395 §3.1: the client offers "xmpp"; a handshake without it is not an XMPP stream.
  if (!offered.includes(SUBPROTOCOL)) return httpError(400, "Bad Request", "the xmpp subprotocol is required (RFC 7395 §3.1)\n");
  return null;
}

function httpError(status: number, reason: string, body: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
