// Server side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802 §5, RFC 7677) and their -PLUS variants
// with channel binding (RFC 5802 §6; types tls-exporter, RFC 9266, and tls-server-end-point, RFC 5929).
import { randomBytes } from "node:crypto";
import { fakeCredential } from "./fake-credential.ts";
import { HASHES, hash, hmac, safeEqual, xor } from "./scram-crypto.ts";
import { expectedCbindInput } from "./channel-binding.ts";
import { parseClientFinal, parseClientFirst, serverFirstMessage, type ClientFirst } from "./scram-messages.ts";
import { prepareSecret } from "./text.ts";
import type { CredentialLookup, MechanismOptions, SaslMechanism, SaslStep, ScramCredential, ScramName } from "./types.ts";
import { StepFailure } from "./types.ts";

interface Exchange {
  first: ClientFirst;
  username: string;
  credential: ScramCredential;
  /** False for an unknown user: the exchange runs to the end and then fails. */
  known: boolean;
  nonce: string;
  serverFirst: string;
  /** What c= of the client-final message must decode to (RFC 5802 §7 cbind-input). */
  cbindInput: Buffer;
}

function randomNonce(): string {
  return randomBytes(18).toString("base64"); // 24 printable characters, no ','
}

export class ScramServer implements SaslMechanism {
  #phase: "start" | "final" | "done" = "start";
  #exchange: Exchange | null = null;
  #emptyChallengeSent = false;

  constructor(
    private readonly name: ScramName,
    /** The -PLUS variant: the client must bind to the channel (gs2 flag "p"). */
    private readonly isPlus: boolean,
    private readonly lookup: CredentialLookup,
    private readonly opts: MechanismOptions = {},
  ) {}

  async step(input: Buffer): Promise<SaslStep> {
    const phase = this.#phase;
    this.#phase = "done"; // any failure or rejection below ends the exchange
    try {
      if (phase === "start") return await this.#start(input);
      if (phase === "final") return this.#final(input);
      return { kind: "failure", condition: "malformed-request" };
    } catch (err) {
      if (err instanceof StepFailure) {
        const username = phase === "final" && err.condition === "not-authorized" ? this.#exchange?.username : undefined;
        return { kind: "failure", condition: err.condition, ...(username === undefined ? {} : { username }) };
      }
      throw err;
    }
  }

  async #start(input: Buffer): Promise<SaslStep> {
    // RFC 6120 §6.4.2: without an initial response the client-first message comes in reply
    // to an empty challenge.
    if (input.length === 0 && !this.#emptyChallengeSent) {
      this.#emptyChallengeSent = true;
      this.#phase = "start";
      return { kind: "challenge", data: Buffer.alloc(0) };
    }
    const first = parseClientFirst(input);
    const cbindInput = expectedCbindInput(first, this.isPlus, this.opts.channelBindings);
    // RFC 5802 §5.1: the username is SASLprep-ed; failure or an empty result aborts.
    const username = prepareSecret(first.username);
    if (username === null) throw new StepFailure("malformed-request", "username fails SASLprep");
    const stored = await this.lookup(username);
    const known = stored !== null;
    const credential = stored?.[this.name] ?? fakeCredential(this.name, username, this.opts.fakeSaltKey, this.opts.fakeIterations);
    const nonce = first.clientNonce + (this.opts.serverNonce ?? randomNonce)();
    const serverFirst = serverFirstMessage(nonce, credential.salt, credential.iterations);
    this.#exchange = { first, username, credential, known, nonce, serverFirst, cbindInput };
    this.#phase = "final";
    return { kind: "challenge", data: Buffer.from(serverFirst) };
  }

  #final(input: Buffer): SaslStep {
    const ex = this.#exchange as Exchange;
    const final = parseClientFinal(input);
    // c= carries the gs2-header again plus, with "p", the connection's binding data; r= the whole nonce.
    if (!safeEqual(final.channelBinding, ex.cbindInput)) throw new StepFailure("not-authorized", "channel binding mismatch");
    if (final.nonce !== ex.nonce) throw new StepFailure("not-authorized", "nonce mismatch");
    const spec = HASHES[this.name];
    if (final.proof.length !== spec.length) throw new StepFailure("malformed-request", "proof has the wrong length");
    // RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) = StoredKey.
    const authMessage = `${ex.first.bare},${ex.serverFirst},${final.withoutProof}`;
    const storedKey = Buffer.from(ex.credential.storedKey, "base64");
    const clientKey = xor(final.proof, hmac(spec, storedKey, authMessage));
    if (!safeEqual(hash(spec, clientKey), storedKey) || !ex.known) throw new StepFailure("not-authorized", "wrong proof");
    const serverSignature = hmac(spec, Buffer.from(ex.credential.serverKey, "base64"), authMessage);
    const authzid = ex.first.authzid;
    return {
      kind: "success",
      username: ex.username,
      ...(authzid === undefined ? {} : { authzid }),
      data: Buffer.from(`v=${serverSignature.toString("base64")}`),
    };
  }
}
