// Client side of SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677) for the load generator, without
// channel binding (gs2 header "n,,": the bench speaks plain TCP). The salted password is cached
// per account, salt and iteration count, as real clients do (Conversations stores it), so a login
// costs the client a few HMACs and what is measured is the server's side of the exchange.
// Usernames and passwords are ASCII here, so SASLprep is the identity and is left out.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

export type ScramMechanism = "SCRAM-SHA-1" | "SCRAM-SHA-256";

const ALGO = { "SCRAM-SHA-1": { name: "sha1", length: 20 }, "SCRAM-SHA-256": { name: "sha256", length: 32 } } as const;

const saltedCache = new Map<string, Buffer>();

function hmac(algo: string, key: Buffer, data: string): Buffer {
  return createHmac(algo, key).update(data).digest();
}

function attrs(message: string): Map<string, string> {
  // "r=...,s=...,i=4096": values may contain "=" (base64), so split at the first one only.
  return new Map(message.split(",").map((part) => [part.slice(0, 1), part.slice(2)]));
}

export class ScramClient {
  readonly #algo: { name: string; length: number };
  readonly #bare: string;
  readonly #password: string;
  readonly #username: string;
  #expectedSignature: Buffer | null = null;

  constructor(mechanism: ScramMechanism, username: string, password: string, nonce = randomBytes(18).toString("base64")) {
    this.#algo = ALGO[mechanism];
    this.#username = username;
    this.#password = password;
    this.#bare = `n=${username.replaceAll("=", "=3D").replaceAll(",", "=2C")},r=${nonce}`;
  }

  /** client-first-message. */
  first(): string {
    return `n,,${this.#bare}`;
  }

  /** client-final-message answering the server-first-message. */
  final(serverFirst: string): string {
    const a = attrs(serverFirst);
    const nonce = a.get("r") ?? "";
    const salt = a.get("s") ?? "";
    const iterations = Number(a.get("i"));
    if (!nonce.startsWith(this.#bare.slice(this.#bare.indexOf(",r=") + 3)) || !salt || !(iterations > 0)) {
      throw new Error(`bad server-first-message: ${serverFirst}`);
    }
    const { name, length } = this.#algo;
    const key = `${name}\0${this.#username}\0${this.#password}\0${salt}\0${iterations}`;
    let salted = saltedCache.get(key);
    if (!salted) {
      salted = pbkdf2Sync(this.#password, Buffer.from(salt, "base64"), iterations, length, name);
      saltedCache.set(key, salted);
    }
    const withoutProof = `c=biws,r=${nonce}`; // biws = base64("n,,")
    const authMessage = `${this.#bare},${serverFirst},${withoutProof}`;
    const clientKey = hmac(name, salted, "Client Key");
    const storedKey = createHash(name).update(clientKey).digest();
    const signature = hmac(name, storedKey, authMessage);
    const proof = Buffer.alloc(length);
    for (let i = 0; i < length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.#expectedSignature = hmac(name, hmac(name, salted, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** Whether the server-final-message proves the server knew the credential too. */
  verify(serverFinal: string): boolean {
    const v = Buffer.from(attrs(serverFinal).get("v") ?? "", "base64");
    return this.#expectedSignature !== null && v.length === this.#expectedSignature.length && timingSafeEqual(v, this.#expectedSignature);
  }
}
