import { randomBytes } from "node:crypto";
import { deriveCredential } from "./scram-crypto.ts";
import { prepareSecret } from "./text.ts";
import type { ScramCredentials } from "./types.ts";

/**
 * SCRAM credentials for both hashes, each with its own random 16-byte salt. The password is
 * SASLprep-ed first (RFC 5802 §2.2); a password SASLprep rejects throws.
 */
export function hashPassword(password: string, opts: { iterations?: number } = {}): ScramCredentials {
  const iterations = opts.iterations ?? 4096;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  const prepared = prepareSecret(password);
  if (prepared === null) throw new RangeError("password is empty or contains characters SASLprep prohibits");
  return {
    "SCRAM-SHA-1": deriveCredential("SCRAM-SHA-1", prepared, randomBytes(16), iterations),
    "SCRAM-SHA-256": deriveCredential("SCRAM-SHA-256", prepared, randomBytes(16), iterations),
  };
}
