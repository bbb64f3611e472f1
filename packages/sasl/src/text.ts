import { createRequire } from "node:module";

// SASLprep leaves printable ASCII as it is: its mappings, NFKC, prohibited and unassigned code
// points and bidirectional rules only concern control characters and code points above U+007E.
// The library (its Unicode tables are about 2 MiB of heap) is loaded for the other strings only.
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const require = createRequire(import.meta.url);
let library: ((text: string) => string) | undefined;
export const saslprep = (text: string): string => {
  if (PRINTABLE_ASCII.test(text)) return text;
  library ??= (require("@mongodb-js/saslprep") as { saslprep: (text: string) => string }).saslprep;
  return library(text);
};

/**
 * SASLprep (RFC 4013) for a username or password; null when the string is empty before or
 * after preparation or contains prohibited, unassigned or badly bidirectional characters.
 * Unassigned code points are refused: these are stored strings (RFC 4013 §2.5, RFC 3454 §7).
 */
export function prepareSecret(text: string): string | null {
  if (text === "") return null;
  try {
    const out = saslprep(text);
    return out === "" ? null : out;
  } catch {
    return null;
  }
}

/** Strict UTF-8 decoding; null for malformed input (RFC 5802 §7, RFC 4616 §2 require UTF-8). */
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function decodeUtf8(data: Buffer): string | null {
  try {
    return decoder.decode(data);
  } catch {
    return null;
  }
}
