import { randomBytes } from "node:crypto";

const CLUSTER_NAME = /^[a-z0-9][a-z0-9_-]{0,30}$/;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `length` random lowercase letters and digits. */
export function randomSuffix(length = 10): string {
  // 252 is the largest multiple of 36 below 256: rejecting bytes above it keeps letters uniform.
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252 && out.length < length) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

/**
 * A name unique to this run, valid as a cluster name (and so as a subject token, Redis key
 * prefix and stream name). The random part shrinks to fit a long prefix, never below 6.
 */
export function uniqueId(prefix: string): string {
  const length = Math.min(10, 31 - prefix.length);
  const id = prefix + randomSuffix(Math.max(length, 6));
  if (!CLUSTER_NAME.test(id)) {
    throw new Error(`uniqueId: prefix ${JSON.stringify(prefix)} must be lowercase letters, digits, - or _ and at most 25 characters`);
  }
  return id;
}
