// SASL (RFC 6120 §6) runs in the private tier: the gateway relays every <auth/>, <response/>
// and <abort/> to the connection's router and writes back its answers. Credentials never
// reach the DMZ (docs/architecture.md invariant 5).
import { tryParseJid } from "@xmppd/jid";
import { xml, type Element } from "@xmppd/xml";
import { NS_SASL } from "@xmppd/stanza";
import { offeredBindings } from "./auth-features.ts";
import type { Connection } from "./connection.ts";
import { topLevelNs } from "./stanza-kind.ts";

const STEPS = new Set(["auth", "response", "abort"]);

export function isSaslStep(el: Element): boolean {
  return topLevelNs(el) === NS_SASL && STEPS.has(el.name);
}

export function relaySasl(conn: Connection, el: Element): void {
  // Per-IP throttle (docs/architecture.md "Limits"): new attempts from a noisy IP are refused here
  // with a temporary failure (RFC 6120 §6.5.12) and never reach the router.
  if (el.name === "auth" && conn.ctx.saslThrottle.isThrottled(conn.ip)) {
    conn.send(xml("failure", { xmlns: NS_SASL }, xml("temporary-auth-failure")));
    return countFailure(conn);
  }
  // SCRAM-*-PLUS: TLS ends here, so the binding data goes with the <auth/> (docs/architecture.md "Channel binding").
  const cb = el.name === "auth" ? offeredBindings(conn).map((b) => ({ type: b.type, data: b.data.toString("base64") })) : [];
  conn.relay({ t: "sasl", xml: el.toString(), ...(cb.length > 0 ? { cb } : {}) });
}

export interface SaslReply {
  xml: string;
  user?: string | undefined;
  failed?: boolean | undefined;
}

export function onSaslReply(conn: Connection, reply: SaslReply): void {
  if (conn.user !== null) return; // a late duplicate after failover: the stream is already authenticated
  conn.write(reply.xml);
  if (reply.user !== undefined) return authenticated(conn, reply.user);
  if (reply.failed) {
    conn.ctx.saslThrottle.recordFailure(conn.ip);
    countFailure(conn);
  }
}

function authenticated(conn: Connection, user: string): void {
  const jid = tryParseJid(user);
  if (!jid || !jid.isBare() || jid.local === "") return conn.fail("internal-server-error", "bad identity from the router");
  conn.user = jid.toString();
  conn.ctx.metrics.authResults.inc({ result: "success" });
  conn.timer.progress();
  // RFC 6120 §6.4.6: after <success/> both sides start a new stream over the same connection.
  conn.restartStream();
}

export function countFailure(conn: Connection): void {
  conn.ctx.metrics.authResults.inc({ result: "failure" });
  conn.saslFailures += 1;
  // RFC 6120 §6.4.5: allow a configurable number of retries, then return a stream error,
  // which SHOULD be <policy-violation/> (the last SASL <failure/> already said not-authorized).
  if (conn.saslFailures >= conn.ctx.config.gateway.limits.saslFailuresPerStream) {
    conn.fail("policy-violation", "too many authentication failures");
  }
}
