// The client's stream header (RFC 6120 §4.7) or framed <open/> (RFC 7395 §3.4): served domain,
// version; then our header and the features of the current stage. The namespaces (§4.8) were
// checked by the transport's parser: the stream parser or the WebSocket framing.
import { tryParseJid } from "@xmppd/jid";
import type { StreamErrorCondition } from "@xmppd/stanza";
import type { Connection } from "./connection.ts";
import { streamFeatures } from "./features.ts";

const LANG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
const VERSION = /^(\d+)\.(\d+)$/;

export function handleStreamHeader(conn: Connection, attrs: Record<string, string>): void {
  conn.timer.progress();
  const lang = attrs["xml:lang"];
  if (lang !== undefined && LANG.test(lang)) conn.lang = lang;
  conn.peer = tryParseJid(attrs.from ?? "")?.toString();
  const failure = headerProblem(conn, attrs);
  if (failure) return conn.fail(failure);
  // RFC 6120 §5.3.1: TLS is mandatory-to-negotiate; a transport that can neither be nor become
  // secure (plain ws:// without a TLS-terminating ingress) cannot carry this stream.
  if (!conn.secure && !conn.transport.canStartTls && conn.ctx.config.gateway.tls.required) {
    return conn.fail("policy-violation", "TLS is required: connect over TLS");
  }
  conn.openStream();
  conn.send(streamFeatures(conn));
}

function headerProblem(conn: Connection, attrs: Record<string, string>): StreamErrorCondition | null {
  const domain = servedDomain(conn, attrs.to);
  if (domain === null) return "host-unknown"; // RFC 6120 §4.9.3.6
  // After SASL the account's domain is fixed: a restarted stream may not switch to another.
  if (conn.user !== null && domain !== conn.domain) return "host-unknown";
  conn.domain = domain;
  // RFC 6120 §4.7.5: no version means pre-1.0; another major version is not spoken here.
  // A higher minor version is answered with ours (1.0), the lower of the two.
  const version = VERSION.exec(attrs.version ?? "");
  if (!version || Number(version[1]) !== 1) return "unsupported-version";
  return null;
}

/**
 * The prepared served domain named by `to`; a missing `to` means the default domain. A `to` that
 * does not prepare (RFC 7622, e.g. a part over 1023 bytes) names no served domain either, so it
 * is host-unknown (RFC 6120 §4.9.3.6); improper-addressing (§4.9.3.12) is about stanzas.
 */
function servedDomain(conn: Connection, to: string | undefined): string | null {
  if (to === undefined) return conn.ctx.domains[0]!;
  const jid = tryParseJid(to);
  if (!jid || jid.local || jid.resource) return null;
  // The configuration's own string, kept by the connection: not one more copy per client.
  return conn.ctx.domains.find((d) => d === jid.domain) ?? null;
}
