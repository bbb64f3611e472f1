// The ways in offered before authentication (RFC 6120 §6.4.1): SASL mechanisms, the -PLUS ones
// with their channel-binding types (XEP-0440) only where this connection can bind, in-band
// registration (XEP-0077 §8) and legacy authentication (XEP-0078 §4) where enabled.
import { xml, type Element } from "@xmppd/xml";
import { NS_IQ_AUTH_FEATURE, NS_REGISTER_FEATURE, NS_SASL, NS_SASL_CB, isPlusMechanism } from "@xmppd/stanza";
import type { ChannelBindingData } from "./channel-binding.ts";
import type { Connection } from "./connection.ts";

export function authFeatures(conn: Connection): Element[] {
  const { sasl, registration, legacyAuth } = conn.ctx.config;
  const bindings = offeredBindings(conn);
  const names = sasl.mechanisms.filter((name) => !isPlusMechanism(name) || bindings.length > 0);
  const out = [xml("mechanisms", { xmlns: NS_SASL }, ...names.map((name) => xml("mechanism", {}, name)))];
  if (bindings.length > 0) {
    out.push(xml("sasl-channel-binding", { xmlns: NS_SASL_CB }, ...bindings.map((b) => xml("channel-binding", { type: b.type }))));
  }
  // Both exchange a password in the clear inside the stream: TLS streams only.
  if (registration.enabled && conn.secure) out.push(xml("register", { xmlns: NS_REGISTER_FEATURE }));
  if (legacyAuth.enabled && conn.secure) out.push(xml("auth", { xmlns: NS_IQ_AUTH_FEATURE }));
  return out;
}

/**
 * The channel bindings this connection offers: none unless a -PLUS mechanism is configured and
 * TLS ends here (not for WebSocket or BOSH behind a TLS-terminating proxy: its binding would be
 * the proxy's, docs/architecture.md "Channel binding").
 */
export function offeredBindings(conn: Connection): ChannelBindingData[] {
  const { sasl } = conn.ctx.config;
  if (!conn.secure || !sasl.mechanisms.some(isPlusMechanism)) return [];
  return conn.transport.channelBindings?.(sasl.channelBindings) ?? [];
}
