// BOSH (XEP-0124, XEP-0206) on the gateway's HTTP and HTTPS ports at /http-bind: POST bodies, the CORS
// preflight, session creation and the routing of later requests to their session by sid.
// Each session is one transport for the shared protocol phases, admitted like any connection.
import { isUtf8 } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseElement, XmlError, type Element, type XmlLimits } from "@xmppd/xml";
import type { Accept } from "./accept.ts";
import { lowerVersion, NS_HTTPBIND, terminateBody, type BoshCondition } from "./bosh-body.ts";
import { readBody, replyPreflight, replyStatus, replyXml } from "./bosh-http.ts";
import { bodyLimits } from "./bosh-input.ts";
import { BoshTransport, type SessionParams } from "./bosh-transport.ts";
import type { GatewayContext } from "./context.ts";
import { isTlsRequest } from "./https-listener.ts";

export const BOSH_PATH = "/http-bind";
/** XEP-0124 §7.1: we hold at most one request; requests = hold + 1. */
const MAX_HOLD = 1;
/** XEP-0124 §7.1 `polling`: the shortest interval between empty requests of a polling session (hold=0). */
const POLLING_SECONDS = 2;
/** XEP-0124 §14.1: rids are positive integers below 2^53. */
const RID = /^\d{1,16}$/;
const SID_HINT = /<body\b[^>]*?\ssid\s*=\s*(['"])([^'"<>]*)\1/;

export interface BoshEndpoint {
  /** Takes the request when it is for /http-bind. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Refuses new sessions (drain). */
  close(): void;
}

export function boshEndpoint(ctx: GatewayContext, accept: Accept): BoshEndpoint {
  const { limits, bosh, websocket } = ctx.config.gateway;
  const sessions = new Map<string, BoshTransport>();
  const preAuth: XmlLimits = { maxStanzaBytes: limits.preAuthStanzaBytes, maxDepth: limits.depth, maxElements: limits.preAuthElements };
  const readCap = bodyLimits({ maxStanzaBytes: limits.stanzaBytes, maxDepth: limits.depth }).maxStanzaBytes;
  let closed = false;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readBody(req, readCap);
    if ("aborted" in read) return;
    if ("tooLarge" in read) {
      res.setHeader("connection", "close");
      req.resume();
      return refuse(res, sessions.get(SID_HINT.exec(read.tooLarge.toString("utf8"))?.[2] ?? ""), "policy-violation");
    }
    if (!isUtf8(read.bytes)) return refuse(res, undefined, "bad-request");
    const text = read.bytes.toString("utf8");
    const hinted = sessions.get(SID_HINT.exec(text)?.[2] ?? "");
    let body: Element;
    try {
      // The connection's own limits, before or after authentication (docs/architecture.md "Limits").
      body = parseElement(text, hinted ? hinted.bodyLimits(preAuth) : bodyLimits(preAuth));
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      return refuse(res, hinted, err.condition === "policy-violation" ? "policy-violation" : "bad-request");
    }
    const { sid, rid } = body.attrs;
    const session = sid === undefined ? undefined : sessions.get(sid);
    if (body.name !== "body" || body.attrs.xmlns !== NS_HTTPBIND || rid === undefined || !RID.test(rid) || !Number.isSafeInteger(Number(rid))) {
      return refuse(res, session, "bad-request");
    }
    if (sid === undefined) return create(req, res, body, text, Number(rid));
    // XEP-0124 §14.4 (and §17.2): an unknown or expired sid.
    if (!session) return replyXml(res, terminateBody("item-not-found"));
    session.request(Number(rid), body, text, res);
  }

  /** XEP-0124 §7.1 session creation. */
  function create(req: IncomingMessage, res: ServerResponse, body: Element, text: string, rid: number): void {
    if (closed) return replyXml(res, terminateBody("system-shutdown"));
    const params = sessionParams(body, bosh);
    if (params === null) return replyXml(res, terminateBody("bad-request"));
    const transport = new BoshTransport(
      {
        params, rid, reply: replyXml,
        remoteIp: req.socket.remoteAddress ?? "unknown",
        // Secure on the HTTPS port, or on the plain one when an ingress terminates TLS for it (as WebSocket).
        isSecure: isTlsRequest(req, websocket.tlsTerminatedByProxy),
        onFinished: (id) => sessions.delete(id),
      },
      text,
      res,
    );
    sessions.set(transport.sid, transport);
    accept(transport);
  }

  return {
    handle(req, res) {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path !== BOSH_PATH && path !== `${BOSH_PATH}/`) return false;
      // A reset of a held request must never take the process down (docs/architecture.md invariant 4).
      req.on("error", () => undefined);
      res.on("error", () => undefined);
      if (req.method === "OPTIONS") replyPreflight(res);
      else if (req.method !== "POST") replyStatus(res, 405, "BOSH takes POST (XEP-0124 §4)\n", { allow: "POST, OPTIONS" });
      else {
        serve(req, res).catch((err: unknown) => {
          ctx.log.error({ err }, "BOSH request failed");
          if (!res.headersSent) replyXml(res, terminateBody("undefined-condition"));
        });
      }
      return true;
    },
    close() {
      closed = true;
    },
  };
}

/** A terminal binding error for a request; the session it belongs to (if any) ends with it. */
function refuse(res: ServerResponse, session: BoshTransport | undefined, condition: BoshCondition): void {
  if (session) session.refuse(res, condition);
  else replyXml(res, terminateBody(condition));
}

/** The negotiated session attributes, or null when the request's are malformed. */
function sessionParams(body: Element, bosh: { maxWaitSeconds: number; inactivitySeconds: number; maxPauseSeconds: number }): SessionParams | null {
  const wait = count(body.attrs.wait, bosh.maxWaitSeconds);
  const hold = count(body.attrs.hold, MAX_HOLD);
  if (wait === null || hold === null) return null;
  const held = Math.min(hold, MAX_HOLD);
  return {
    sid: randomBytes(16).toString("base64url"),
    wait: Math.min(wait, bosh.maxWaitSeconds),
    hold: held,
    requests: held + 1,
    polling: POLLING_SECONDS,
    inactivity: bosh.inactivitySeconds,
    maxpause: bosh.maxPauseSeconds,
    ver: lowerVersion(body.attrs.ver),
  };
}

function count(value: string | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  return /^\d{1,9}$/.test(value) ? Number(value) : null;
}
