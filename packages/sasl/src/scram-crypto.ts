// The SCRAM key derivations of RFC 5802 §3 for SHA-1 and SHA-256 (RFC 7677).
import { createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import type { ScramCredential, ScramName } from "./types.ts";

const pbkdf2Async = promisify(pbkdf2);

interface HashSpec {
  algorithm: "sha1" | "sha256";
  length: number;
}

export const HASHES: Readonly<Record<ScramName, HashSpec>> = {
  "SCRAM-SHA-1": { algorithm: "sha1", length: 20 },
  "SCRAM-SHA-256": { algorithm: "sha256", length: 32 },
};

export function hmac(spec: HashSpec, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(spec.algorithm, key).update(data).digest();
}

export function hash(spec: HashSpec, data: Buffer): Buffer {
  return createHash(spec.algorithm).update(data).digest();
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** Equal-length buffers compared in constant time; different lengths are simply unequal. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** StoredKey and ServerKey from SaltedPassword = Hi(password, salt, i). */
function keysFromSalted(spec: HashSpec, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmac(spec, salted, "Client Key");
  return { storedKey: hash(spec, clientKey), serverKey: hmac(spec, salted, "Server Key") };
}

/** A stored credential for an already SASLprep-ed password. */
export function deriveCredential(name: ScramName, password: string, salt: Buffer, iterations: number): ScramCredential {
  const spec = HASHES[name];
  const salted = pbkdf2Sync(password, salt, iterations, spec.length, spec.algorithm);
  const { storedKey, serverKey } = keysFromSalted(spec, salted);
  return {
    salt: salt.toString("base64"),
    iterations,
    storedKey: storedKey.toString("base64"),
    serverKey: serverKey.toString("base64"),
  };
}

/** A stored credential like deriveCredential, with the key derivation off the event loop. */
export async function deriveCredentialAsync(name: ScramName, password: string, salt: Buffer, iterations: number): Promise<ScramCredential> {
  const spec = HASHES[name];
  const salted = await pbkdf2Async(password, salt, iterations, spec.length, spec.algorithm);
  const { storedKey, serverKey } = keysFromSalted(spec, salted);
  return { salt: salt.toString("base64"), iterations, storedKey: storedKey.toString("base64"), serverKey: serverKey.toString("base64") };
}

/** StoredKey for a candidate password, off the event loop (PLAIN verification). */
export async function storedKeyFor(name: ScramName, password: string, cred: ScramCredential): Promise<Buffer> {
  const spec = HASHES[name];
  const salt = Buffer.from(cred.salt, "base64");
  const salted = await pbkdf2Async(password, salt, cred.iterations, spec.length, spec.algorithm);
  return keysFromSalted(spec, salted).storedKey;
}
