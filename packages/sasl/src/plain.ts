// Server side of PLAIN (RFC 4616), verified against the stored SCRAM-SHA-256 credential: the
// server keeps no plaintext, so it derives StoredKey from the offered password and compares.
import { fakeCredential } from "./fake-credential.ts";
import { safeEqual, storedKeyFor } from "./scram-crypto.ts";
import { decodeUtf8, prepareSecret } from "./text.ts";
import type { CredentialLookup, MechanismOptions, SaslMechanism, SaslStep } from "./types.ts";

const MAX_FIELD_BYTES = 255; // RFC 4616 §2: each field is at most 255 octets

interface PlainMessage {
  authzid: string;
  authcid: string;
  passwd: string;
}

/** message = [authzid] UTF8NUL authcid UTF8NUL passwd; null when it does not parse. */
function parsePlain(data: Buffer): PlainMessage | null {
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= data.length; i++) {
    if (i === data.length || data[i] === 0) {
      fields.push(data.subarray(start, i));
      start = i + 1;
    }
  }
  if (fields.length !== 3 || fields.some((f) => f.length > MAX_FIELD_BYTES)) return null;
  const [authzid, authcid, passwd] = fields.map(decodeUtf8);
  if (authzid == null || !authcid || !passwd) return null;
  return { authzid, authcid, passwd };
}

export class PlainServer implements SaslMechanism {
  #done = false;
  #emptyChallengeSent = false;

  constructor(
    private readonly lookup: CredentialLookup,
    private readonly opts: MechanismOptions = {},
  ) {}

  async step(input: Buffer): Promise<SaslStep> {
    if (this.#done) return { kind: "failure", condition: "malformed-request" };
    // RFC 6120 §6.4.2: no initial response, so ask for it with an empty challenge.
    if (input.length === 0 && !this.#emptyChallengeSent) {
      this.#emptyChallengeSent = true;
      return { kind: "challenge", data: Buffer.alloc(0) };
    }
    this.#done = true;
    const message = parsePlain(input);
    if (message === null) return { kind: "failure", condition: "malformed-request" };
    // RFC 4616 §4: authcid and passwd are prepared with SASLprep.
    const username = prepareSecret(message.authcid);
    if (username === null) return { kind: "failure", condition: "malformed-request" };
    const password = prepareSecret(message.passwd);
    if (password === null) return { kind: "failure", condition: "not-authorized" };
    return this.#verify(username, password, message.authzid);
  }

  async #verify(username: string, password: string, authzid: string): Promise<SaslStep> {
    const stored = await this.lookup(username);
    // Unknown users cost the same key derivation, so timing does not tell them apart.
    const credential =
      stored?.["SCRAM-SHA-256"] ?? fakeCredential("SCRAM-SHA-256", username, this.opts.fakeSaltKey, this.opts.fakeIterations);
    const candidate = await storedKeyFor("SCRAM-SHA-256", password, credential);
    if (stored === null || !safeEqual(candidate, Buffer.from(credential.storedKey, "base64"))) {
      return { kind: "failure", condition: "not-authorized", username };
    }
    // RFC 6120 §6.4.6: the caller decides whether this authzid may be used.
    return { kind: "success", username, ...(authzid === "" ? {} : { authzid }) };
  }
}
