// Routes each top-level element to the negotiation phase the stream is in.
import type { Element } from "@xmppd/xml";
import { NS_TLS } from "@xmppd/stanza";
import { handleBindPhase } from "./bind-relay.ts";
import type { Connection, StreamHandlers } from "./connection.ts";
import { handleEstablished } from "./established.ts";
import { handleSmElement, isSmElement } from "./sm-nonza.ts";
import { preauthKind, relayPreauth } from "./preauth-relay.ts";
import { isSaslStep, relaySasl } from "./sasl-relay.ts";
import { isTopLevel } from "./stanza-kind.ts";
import { handleStartTls } from "./starttls.ts";
import { handleStreamHeader } from "./stream-header.ts";

export const c2sHandlers: StreamHandlers = { header: handleStreamHeader, element: dispatchElement };

function dispatchElement(conn: Connection, el: Element): void {
  // XEP-0198 elements are not stanzas: enable, resume, r and a, in any phase after authentication.
  if (conn.user !== null && isSmElement(el)) return handleSmElement(conn, el);
  if (conn.jid !== null) return handleEstablished(conn, el);
  conn.timer.progress();
  if (isTopLevel(el, "starttls", NS_TLS)) return handleStartTls(conn);
  if (conn.user !== null) return handleBindPhase(conn, el);
  // RFC 6120 §5.3.1: TLS is mandatory-to-negotiate here, so nothing but STARTTLS may come first;
  // SASL or stanzas on the plain stream are a <policy-violation/> (§4.9.3.14).
  if (!conn.secure && conn.ctx.config.gateway.tls.required) {
    return conn.fail("policy-violation", "STARTTLS is required");
  }
  if (isSaslStep(el)) return relaySasl(conn, el);
  const preauth = preauthKind(conn, el);
  if (preauth) return relayPreauth(conn, el, preauth);
  // RFC 6120 §4.9.3.17: stanzas before the stream is authenticated.
  conn.fail("not-authorized", "authenticate first");
}
