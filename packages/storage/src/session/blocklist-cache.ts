// The cached copy of an XEP-0191 block list, as one Redis string: "<version>\n<jid>\n<jid>...".
// A string (not a set) so the hot path reads it with one GET and the version travels with it.
import type { CachedBlocklist } from "../types.ts";

/** A cached copy lapses after a day, so lists of idle accounts do not stay in Redis forever. */
export const BLOCKLIST_CACHE_TTL_MS = 24 * 60 * 60 * 1000;

export function encodeBlocklist(list: CachedBlocklist): string {
  return [String(list.version), ...list.jids].join("\n");
}

/** The JIDs of a cached copy; null when there is none (unknown, not empty). */
export function decodeBlocklistJids(text: string | null | undefined): string[] | null {
  if (text === null || text === undefined) return null;
  const nl = text.indexOf("\n");
  return nl < 0 ? [] : text.slice(nl + 1).split("\n");
}
