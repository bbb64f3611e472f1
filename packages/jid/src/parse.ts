import { prepareDomainpart } from "./domainpart.ts";
import { JidError } from "./errors.ts";
import { Jid } from "./jid.ts";
import { prepareLocalpart } from "./localpart.ts";
import { prepareResourcepart } from "./resourcepart.ts";

/**
 * Splits and prepares a JID. RFC 7622 §3.1: everything after the first '/' is the
 * resourcepart (it may itself contain '@' and '/'); in what remains, everything before the
 * first '@' is the localpart, and the rest is the domainpart. Each part is at most 1023 bytes
 * once prepared (§3.2-§3.4), so a whole JID is at most 3071 (§3.1: parts plus '@' and '/').
 */
export function parseJid(text: string): Jid {
  if (typeof text !== "string") throw new JidError("jid", "is not a string");
  const slash = text.indexOf("/");
  const bare = slash === -1 ? text : text.slice(0, slash);
  const at = bare.indexOf("@");
  const local = at === -1 ? "" : prepareLocalpart(bare.slice(0, at));
  const domain = prepareDomainpart(at === -1 ? bare : bare.slice(at + 1));
  const resource = slash === -1 ? "" : prepareResourcepart(text.slice(slash + 1));
  return new Jid(local, domain, resource);
}

/** parseJid that answers null instead of throwing JidError. */
export function tryParseJid(text: string): Jid | null {
  // The empty string (a missing attribute read as "") is the common invalid input: no exception for it.
  if (text === "") return null;
  try {
    return parseJid(text);
  } catch (err) {
    if (err instanceof JidError) return null;
    throw err;
  }
}
