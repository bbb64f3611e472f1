// IQs before authentication: XEP-0077 in-band registration and XEP-0078 legacy authentication.
// Both run in the private tier, which holds the credentials: the gateway checks that the feature
// is enabled, the stream secure and the IP within its limits, then relays the IQ like a SASL
// step and writes back the router's answer (docs/architecture.md invariant 5).
import { tryParseJid } from "@xmppd/jid";
import type { Element } from "@xmppd/xml";
import { NS_IQ_AUTH, NS_REGISTER, errorReply } from "@xmppd/stanza";
import { onBound, type BoundReply } from "./bind-relay.ts";
import type { Connection } from "./connection.ts";
import { countFailure } from "./sasl-relay.ts";
import { SaslThrottle } from "./sasl-throttle.ts";

const HOUR_MS = 60 * 60_000;
/** Registration requests per IP, one table per gateway (registration.maxPerIpPerHour). */
const registrations = new WeakMap<object, SaslThrottle>();

/** An iq to the server (no `to`, or our domain) whose payload is a register or auth query. */
export function preauthKind(conn: Connection, el: Element): "register" | "auth" | null {
  if (el.name !== "iq" || (el.attrs.to !== undefined && tryParseJid(el.attrs.to)?.toString() !== conn.domain)) return null;
  if (el.getChild("query", NS_REGISTER)) return "register";
  if (el.getChild("query", NS_IQ_AUTH)) return "auth";
  return null;
}

export function relayPreauth(conn: Connection, el: Element, kind: "register" | "auth"): void {
  const reply = (condition: Parameters<typeof errorReply>[1], text?: string, type?: "wait") => {
    const err = errorReply(el, condition, { ...(text ? { text } : {}), ...(type ? { type } : {}) });
    if (err) conn.send(err);
  };
  const { registration, legacyAuth } = conn.ctx.config;
  // XEP-0077 §3.1 with registration disabled: not-allowed; XEP-0078 §2.3 without legacy auth:
  // service-unavailable (the protocol is not there).
  if (kind === "register" && !registration.enabled) return reply("not-allowed", "In-band registration is disabled");
  if (kind === "auth" && !legacyAuth.enabled) return reply("service-unavailable");
  // A password in the clear inside the stream: TLS only (XEP-0077 §13, XEP-0078 §9).
  if (!conn.secure) return reply("not-allowed", "TLS is required");
  const isSet = el.attrs.type === "set";
  if (kind === "auth" && isSet && conn.ctx.saslThrottle.isThrottled(conn.ip)) {
    return reply("resource-constraint", "Too many failed authentications", "wait");
  }
  if (kind === "register" && isSet && !registrationAllowed(conn)) {
    return reply("policy-violation", "Too many registrations from this address", "wait");
  }
  conn.relay({ t: "preauth", xml: el.toString() });
}

function registrationAllowed(conn: Connection): boolean {
  let table = registrations.get(conn.ctx);
  if (!table) registrations.set(conn.ctx, (table = new SaslThrottle(conn.ctx.config.registration.maxPerIpPerHour, Date.now, HOUR_MS)));
  if (table.isThrottled(conn.ip)) return false;
  table.recordFailure(conn.ip); // counts a request, not a failure
  return true;
}

export interface PreauthReply {
  xml: string;
  failed?: boolean | undefined;
}

export function onPreauthReply(conn: Connection, reply: PreauthReply): void {
  if (conn.user !== null) return; // a late duplicate after failover
  conn.write(reply.xml);
  if (reply.failed) {
    conn.ctx.saslThrottle.recordFailure(conn.ip);
    countFailure(conn);
  }
}

/** XEP-0078 §2.2: authenticated and bound in one step, with no new stream. */
export function onLegacyBound(conn: Connection, reply: BoundReply): void {
  if (conn.user !== null) return onBound(conn, reply);
  const jid = tryParseJid(reply.jid);
  if (!jid || jid.isBare() || jid.local === "") return conn.fail("internal-server-error", "bad identity from the router");
  conn.user = jid.bareString();
  conn.ctx.metrics.authResults.inc({ result: "success" });
  conn.authenticatedInPlace();
  onBound(conn, reply);
}
