// XEP-0156 §3: /.well-known/host-meta (XRD, required) and /.well-known/host-meta.json (JRD)
// name the WebSocket and BOSH URLs. The links point back at the listener the request came in on,
// by the Host the client used: https:/wss: on the HTTPS port or behind a TLS-terminating
// ingress, http:/ws: on the plain HTTP port otherwise (its Security Considerations: prefer TLS).
import type { IncomingMessage, ServerResponse } from "node:http";
import { escapeAttr } from "@xmppd/xml";
import { BOSH_PATH } from "./bosh-endpoint.ts";
import { isTlsRequest } from "./https-listener.ts";
import { WEBSOCKET_PATH } from "./ws-endpoint.ts";

export const HOST_META_PATH = "/.well-known/host-meta";
const NS_XRD = "http://docs.oasis-open.org/ns/xri/xrd-1.0";
export const REL_WEBSOCKET = "urn:xmpp:alt-connections:websocket";
export const REL_BOSH = "urn:xmpp:alt-connections:xbosh";
/** A host name or IP literal with an optional port: nothing else goes into the links. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** Serves host-meta when the request is for it; false otherwise. */
export function serveHostMeta(req: IncomingMessage, res: ServerResponse, tlsTerminatedByProxy: boolean): boolean {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const isJson = path === `${HOST_META_PATH}.json`;
  if (path !== HOST_META_PATH && !isJson) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    reply(res, 405, "text/plain; charset=utf-8", "host-meta takes GET\n", { allow: "GET, HEAD" });
    return true;
  }
  const host = req.headers.host ?? "";
  if (!HOST.test(host)) {
    reply(res, 400, "text/plain; charset=utf-8", "a Host header naming this server is required\n");
    return true;
  }
  const secure = isTlsRequest(req, tlsTerminatedByProxy);
  const links = [
    { rel: REL_WEBSOCKET, href: `${secure ? "wss" : "ws"}://${host}${WEBSOCKET_PATH}` },
    { rel: REL_BOSH, href: `${secure ? "https" : "http"}://${host}${BOSH_PATH}` },
  ];
  if (isJson) reply(res, 200, "application/json", `${JSON.stringify({ links })}\n`);
  else reply(res, 200, "application/xrd+xml; charset=utf-8", xrd(links));
  return true;
}

function xrd(links: { rel: string; href: string }[]): string {
  const lines = links.map((l) => `  <Link rel='${escapeAttr(l.rel)}' href='${escapeAttr(l.href)}'/>`);
  return `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='${NS_XRD}'>\n${lines.join("\n")}\n</XRD>\n`;
}

function reply(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  // Web clients served from another origin (Converse.js on its own site) must be able to read it.
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "access-control-allow-origin": "*", ...extra });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
