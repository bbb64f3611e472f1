// Credentials shown for an unknown user, so that the exchange looks like one with a wrong
// password (RFC 5802 §9 warns that a different salt or an early failure reveals the account).
import { createHmac, randomBytes } from "node:crypto";
import { HASHES } from "./scram-crypto.ts";
import type { ScramCredential, ScramName } from "./types.ts";

// Without a configured secret the salt is still deterministic (same on every router and
// across restarts), derived under this fixed label.
const DEFAULT_KEY = "xmppd SCRAM fake salt v1";

export function fakeCredential(
  name: ScramName,
  username: string,
  key: string | Buffer = DEFAULT_KEY,
  iterations = 4096,
): ScramCredential {
  // 16 bytes, like the salts hashPassword makes.
  const salt = createHmac("sha256", key).update(`${name}\0${username}`).digest().subarray(0, 16);
  const length = HASHES[name].length;
  // Random keys: no proof can match them, yet verification costs what a real one costs.
  return {
    salt: salt.toString("base64"),
    iterations,
    storedKey: randomBytes(length).toString("base64"),
    serverKey: randomBytes(length).toString("base64"),
  };
}
