// Parsers for the client messages of SCRAM, following the grammar of RFC 5802 §7. Anything
// outside the grammar ends the exchange with "malformed-request".
import { decodeUtf8 } from "./text.ts";
import { StepFailure } from "./types.ts";

export interface ClientFirst {
  /** gs2-header exactly as sent, e.g. "n,," or "y,a=admin,". */
  gs2Header: string;
  cbindFlag: "n" | "y" | "p";
  cbName?: string;
  authzid?: string;
  /** client-first-message-bare, the first part of AuthMessage. */
  bare: string;
  /** The username with =2C and =3D decoded, not yet SASLprep-ed. */
  username: string;
  clientNonce: string;
}

export interface ClientFinal {
  /** The decoded c= attribute: gs2-header followed by any channel binding data. */
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, the last part of AuthMessage. */
  withoutProof: string;
}

const MAX_MESSAGE_BYTES = 4096;
// saslname = 1*(value-safe-char / "=2C" / "=3D"): no NUL, no ',' and '=' only in escapes.
const SASLNAME = /^(?:[^\0,=]|=2C|=3D)+$/;
// printable = %x21-2B / %x2D-7E (RFC 5802 §7). Nonce length is bounded to refuse trivial
// nonces and oversized state (our choice; the RFC sets no limits).
const NONCE = /^[\x21-\x2b\x2d-\x7e]{8,256}$/;
const CB_NAME = /^[A-Za-z0-9.-]+$/;
// attr-val = ALPHA "=" value, value = 1*value-char (any UTF-8 but NUL and ',').
const EXTENSION = /^[A-Za-z]=[^\0,]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function malformed(reason: string): StepFailure {
  return new StepFailure("malformed-request", reason);
}

function decodeMessage(data: Buffer): string {
  if (data.length > MAX_MESSAGE_BYTES) throw malformed("message too long");
  const text = decodeUtf8(data);
  if (text === null) throw malformed("message is not UTF-8");
  return text;
}

function saslname(value: string, what: string): string {
  if (!SASLNAME.test(value)) throw malformed(`bad ${what}`);
  return value.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

function attribute(part: string | undefined, name: string): string {
  if (part === undefined || !part.startsWith(`${name}=`)) throw malformed(`expected ${name}=`);
  return part.slice(2);
}

function checkExtensions(parts: string[]): void {
  for (const part of parts) if (!EXTENSION.test(part)) throw malformed("bad extension");
}

function parseGs2Flag(flag: string): Pick<ClientFirst, "cbindFlag" | "cbName"> {
  if (flag === "n" || flag === "y") return { cbindFlag: flag };
  const cbName = flag.startsWith("p=") ? flag.slice(2) : "";
  if (!CB_NAME.test(cbName)) throw malformed("bad gs2-cbind-flag");
  return { cbindFlag: "p", cbName };
}

export function parseClientFirst(data: Buffer): ClientFirst {
  const text = decodeMessage(data);
  const flagEnd = text.indexOf(",");
  const authzEnd = text.indexOf(",", flagEnd + 1);
  if (flagEnd < 0 || authzEnd < 0) throw malformed("no gs2-header");
  const authzPart = text.slice(flagEnd + 1, authzEnd);
  const authzid = authzPart === "" ? undefined : saslname(attribute(authzPart, "a"), "authzid");
  const bare = text.slice(authzEnd + 1);
  const parts = bare.split(",");
  // RFC 5802 §7: "m=" is reserved for a mandatory extension we do not know; we must fail.
  if (parts[0]?.startsWith("m=")) throw malformed("unsupported mandatory extension");
  const username = saslname(attribute(parts[0], "n"), "username");
  const clientNonce = attribute(parts[1], "r");
  if (!NONCE.test(clientNonce)) throw malformed("bad client nonce");
  checkExtensions(parts.slice(2));
  const gs2 = parseGs2Flag(text.slice(0, flagEnd));
  return { gs2Header: text.slice(0, authzEnd + 1), ...gs2, ...(authzid === undefined ? {} : { authzid }), bare, username, clientNonce };
}

function base64(value: string, what: string): Buffer {
  if (!BASE64.test(value)) throw malformed(`${what} is not base64`);
  return Buffer.from(value, "base64");
}

export function parseClientFinal(data: Buffer): ClientFinal {
  const text = decodeMessage(data);
  const proofAt = text.lastIndexOf(",p=");
  if (proofAt < 0) throw malformed("no proof");
  const withoutProof = text.slice(0, proofAt);
  const parts = withoutProof.split(",");
  const channelBinding = base64(attribute(parts[0], "c"), "channel binding");
  const nonce = attribute(parts[1], "r");
  checkExtensions(parts.slice(2));
  const proof = base64(text.slice(proofAt + 3), "proof");
  return { channelBinding, nonce, proof, withoutProof };
}

export function serverFirstMessage(nonce: string, salt: string, iterations: number): string {
  return `r=${nonce},s=${salt},i=${iterations}`;
}
