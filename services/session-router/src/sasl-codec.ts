// SASL data on the wire (RFC 6120 §6.4.2): base64 in the element's text, "=" for data that is
// present but empty, no text at all for no data.
import { NS_SASL } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The data carried by <auth/> or <response/>; null when it is not valid base64 (§6.5.2 incorrect-encoding). */
export function decodeSaslData(text: string): Buffer | null {
  if (text === "" || text === "=") return Buffer.alloc(0);
  return BASE64.test(text) ? Buffer.from(text, "base64") : null;
}

export function encodeSaslData(data: Buffer): string {
  return data.length === 0 ? "=" : data.toString("base64");
}

export function saslChallenge(data: Buffer): Element {
  return xml("challenge", { xmlns: NS_SASL }, encodeSaslData(data));
}

/** RFC 6120 §6.4.6: additional data with success, or an empty element when there is none. */
export function saslSuccess(data?: Buffer): Element {
  return data && data.length > 0 ? xml("success", { xmlns: NS_SASL }, data.toString("base64")) : xml("success", { xmlns: NS_SASL });
}

export function saslFailure(condition: string): Element {
  return xml("failure", { xmlns: NS_SASL }, xml(condition));
}
