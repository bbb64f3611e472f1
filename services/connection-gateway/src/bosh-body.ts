// The <body/> wrapper of BOSH (XEP-0124 §4) and its XMPP extensions (XEP-0206 §4): response
// bodies carrying queued payload, the session creation response and terminal conditions.
import { escapeAttr } from "@xmppd/xml";
import { NS_STREAM } from "@xmppd/stanza";

export const NS_HTTPBIND = "http://jabber.org/protocol/httpbind";
export const NS_XBOSH = "urn:xmpp:xbosh";

/** XEP-0124 §17.2: the terminal binding conditions we send. */
export type BoshCondition =
  | "bad-request"
  | "host-unknown"
  | "item-not-found"
  | "policy-violation"
  | "remote-connection-failed"
  | "remote-stream-error"
  | "system-shutdown"
  | "undefined-condition";

/** The protocol version we speak (XEP-0124 §7.1 `ver`). */
export const BOSH_VERSION = "1.11";

function attrText(attrs: Record<string, string | number | undefined>): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}='${escapeAttr(String(v))}'`)
    .join("");
}

/**
 * A response body around `payload` (elements written by the protocol phases). The stream
 * prefix is declared on the wrapper, so <stream:features/> and <stream:error/> inside it are
 * well-formed (XEP-0206 §5).
 */
export function responseBody(payload: readonly string[], attrs: Record<string, string | number | undefined> = {}): string {
  if (payload.length === 0) return `<body${attrText({ xmlns: NS_HTTPBIND, ...attrs })}/>`;
  return `<body${attrText({ xmlns: NS_HTTPBIND, "xmlns:stream": NS_STREAM, ...attrs })}>${payload.join("")}</body>`;
}

/** XEP-0124 §13, §17.2: the session is over; `condition` absent for a clean close. */
export function terminateBody(condition?: BoshCondition, payload: readonly string[] = []): string {
  return responseBody(payload, { type: "terminate", condition });
}

export interface CreationParams {
  sid: string;
  wait: number;
  hold: number;
  requests: number;
  polling: number;
  inactivity: number;
  maxpause: number;
  ver: string;
  from: string;
  authid: string | undefined;
}

/** XEP-0124 §7.1 session creation response with XEP-0206 §5 restart logic. */
export function creationAttrs(p: CreationParams): Record<string, string | number | undefined> {
  return {
    sid: p.sid,
    wait: p.wait,
    hold: p.hold,
    requests: p.requests,
    polling: p.polling,
    inactivity: p.inactivity,
    maxpause: p.maxpause,
    ver: p.ver,
    from: p.from,
    authid: p.authid,
    "xmlns:xmpp": NS_XBOSH,
    "xmpp:version": "1.0",
    "xmpp:restartlogic": "true",
  };
}

/** The lower of two "major.minor" versions (XEP-0124 §7.1: the highest both support). */
export function lowerVersion(client: string | undefined, ours: string = BOSH_VERSION): string {
  const parse = (v: string) => /^(\d+)\.(\d+)$/.exec(v)?.slice(1).map(Number);
  const c = client === undefined ? undefined : parse(client);
  const o = parse(ours)!;
  if (!c) return ours;
  return c[0]! < o[0]! || (c[0] === o[0] && c[1]! < o[1]!) ? client! : ours;
}
