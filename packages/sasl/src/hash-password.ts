import { randomBytes } from "node:crypto";
import { deriveCredential, deriveCredentialAsync } from "./scram-crypto.ts";
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

/**
 * hashPassword off the event loop, for servers (in-band registration, password change): with a
 * high iteration count the synchronous derivation would stall every other connection.
 */
export async function hashPasswordAsync(password: string, opts: { iterations?: number } = {}): Promise<ScramCredentials> {
  const iterations = opts.iterations ?? 4096;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  const prepared = prepareSecret(password);
  if (prepared === null) throw new RangeError("password is empty or contains characters SASLprep prohibits");
  const [sha1, sha256] = await Promise.all([
    deriveCredentialAsync("SCRAM-SHA-1", prepared, randomBytes(16), iterations),
    deriveCredentialAsync("SCRAM-SHA-256", prepared, randomBytes(16), iterations),
  ]);
  return { "SCRAM-SHA-1": sha1, "SCRAM-SHA-256": sha256 };
}
