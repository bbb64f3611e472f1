// DP-07: what the recipient edge would do with a message at receipt, without doing it (XEP-0079
// §2.2 step 2), from one read of the recipient's sessions, by RFC 6121 §8.5.
import { mostAvailable, normalType } from "@xmppd/routing";
import type { SessionRecord } from "@xmppd/storage";

export interface DispositionInput {
  /** The message's type attribute as sent (absent or unknown means "normal", RFC 6121 §5.2.2). */
  type: string | undefined;
  /** The intended recipient, prepared, bare or full, as addressed. */
  to: string;
  /** The recipient account's sessions (any resource). */
  sessions: SessionRecord[];
  accountExists: boolean;
  storageEnabled: boolean;
  quotaReached: boolean;
}

export interface Disposition {
  deliver: "direct" | "stored" | "none";
  /** The actual destination: the (first) target's full JID, "bare" for the offline queue, null for none. */
  destination: string | null;
  /** The sessions a `direct` message goes to (RFC 6121 §8.5.2.1.1: all of equal highest priority). */
  targets: SessionRecord[];
  /** The intended recipient (DispositionInput.to), which match-resource compares against. */
  intended: string;
  /** DP-18: a `none` that the default behaviour answers with service-unavailable. */
  bounce: boolean;
}

export function disposition(input: DispositionInput): Disposition {
  const type = normalType(input.type);
  const targets = input.accountExists ? targetsFor(type, input.to, input.sessions) : [];
  const first = targets[0];
  if (first) return { ...result(input, "direct", first.jid), targets };
  // DP-06, XEP-0160: only chat and normal are stored, and only in the offline queue.
  // DP-07: "for other types none" — a non-chat message to an unavailable full JID is never stored
  // (RFC 6121 §8.5.3.2.1 offers only ignore or service-unavailable).
  const toFullOnly = input.to.includes("/") && type !== "chat";
  const storable = (type === "chat" || type === "normal") && !toFullOnly;
  if (input.accountExists && storable && input.storageEnabled && !input.quotaReached) return result(input, "stored", "bare");
  // DP-18: headline to nobody is silently discarded (XEP-0160); error is never answered (RFC 6120
  // §8.3.1). Everything else bounces; groupchat as RFC 6121 §8.5.2.1.1 and §8.5.3.2.1 do.
  return { ...result(input, "none", null), bounce: type !== "headline" && type !== "error" };
}

function targetsFor(type: string, to: string, sessions: SessionRecord[]): SessionRecord[] {
  // RFC 6121 §8.5.2.1: a bare JID reaches the available resources of highest non-negative priority.
  if (!to.includes("/")) return mostAvailable(sessions);
  // DP-07: a full JID reaches that resource if available, whatever its priority (§8.5.3.1) ...
  const exact = sessions.find((s) => s.jid === to && s.available);
  if (exact) return [exact];
  // ... else chat is handled as if sent to the bare JID (§8.5.3.2.1); other types go nowhere.
  return type === "chat" ? mostAvailable(sessions) : [];
}

function result(input: DispositionInput, deliver: Disposition["deliver"], destination: string | null): Disposition {
  return { deliver, destination, targets: [], intended: input.to, bounce: false };
}
