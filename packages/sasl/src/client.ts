// A minimal SCRAM client (RFC 5802 §5) for tests and benchmarks only: it trusts its inputs
// and throws on anything unexpected.
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { HASHES, hash, hmac, safeEqual, xor } from "./scram-crypto.ts";
import { prepareSecret } from "./text.ts";
import type { ScramName } from "./types.ts";

export interface ScramClient {
  /** client-first-message. */
  first(): Buffer;
  /** client-final-message for the server-first-message. */
  final(serverFirst: Buffer | string): Buffer;
  /** True when the server-final-message carries the expected ServerSignature. */
  verify(serverFinal: Buffer | string): boolean;
}

function escapeName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

function attributes(message: string): Map<string, string> {
  return new Map(message.split(",").map((part) => [part.slice(0, 1), part.slice(2)]));
}

export function scramClient(
  name: ScramName,
  username: string,
  password: string,
  opts: { nonce?: string; gs2Header?: string; cbindData?: Buffer } = {},
): ScramClient {
  const spec = HASHES[name];
  const gs2Header = opts.gs2Header ?? "n,,";
  const bare = `n=${escapeName(prepareSecret(username) ?? username)},r=${opts.nonce ?? randomBytes(18).toString("base64")}`;
  let expectedSignature: Buffer | null = null;
  return {
    first: () => Buffer.from(gs2Header + bare),
    final(serverFirst) {
      const text = serverFirst.toString();
      const attrs = attributes(text);
      const salt = Buffer.from(attrs.get("s") ?? "", "base64");
      const salted = pbkdf2Sync(prepareSecret(password) ?? password, salt, Number(attrs.get("i")), spec.length, spec.algorithm);
      // RFC 5802 §7: c= is base64(gs2-header + cbind-data); data only with gs2 flag "p".
      const cbindInput = Buffer.concat([Buffer.from(gs2Header), opts.cbindData ?? Buffer.alloc(0)]);
      const withoutProof = `c=${cbindInput.toString("base64")},r=${attrs.get("r")}`;
      const authMessage = `${bare},${text},${withoutProof}`;
      const clientKey = hmac(spec, salted, "Client Key");
      const proof = xor(clientKey, hmac(spec, hash(spec, clientKey), authMessage));
      expectedSignature = hmac(spec, hmac(spec, salted, "Server Key"), authMessage);
      return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`);
    },
    verify(serverFinal) {
      const signature = Buffer.from(attributes(serverFinal.toString()).get("v") ?? "", "base64");
      return expectedSignature !== null && safeEqual(signature, expectedSignature);
    },
  };
}
