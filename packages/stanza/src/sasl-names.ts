// SASL mechanism names as they appear in <mechanisms/>: the gateway offers them and the router's
// @xmppd/sasl runs them. Here, so the gateway can judge a name without loading the verifier.

/** The channel-binding variants (RFC 5802 §4): offered only on a TLS stream with binding data. */
export function isPlusMechanism(name: string): boolean {
  return name.endsWith("-PLUS");
}
