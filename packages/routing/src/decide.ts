// RFC 6121 §8.5: how a server delivers a stanza addressed to one of its own accounts, as a pure
// function of the stanza kind and type, the (prepared) recipient JID and the account's sessions.
// Account existence (§8.5.1) is not decided here: the message path never touches Postgres, so a
// message for an unknown account goes the offline way and the AMP worker settles it.
import type { Jid } from "@xmppd/jid";
import type { SessionRecord } from "@xmppd/storage";

export type StanzaKind = "message" | "presence" | "iq";

export type Decision =
  | { action: "deliver"; targets: SessionRecord[] }
  | { action: "offline" }
  | { action: "error"; condition: "service-unavailable" }
  | { action: "ignore" }
  /** The server answers on behalf of the account (an IQ to a bare JID). */
  | { action: "server" };

const OFFLINE: Decision = { action: "offline" };
const IGNORE: Decision = { action: "ignore" };
const SERVER: Decision = { action: "server" };
const UNAVAILABLE: Decision = { action: "error", condition: "service-unavailable" };

/** `sessions` are the recipient account's sessions (any resource); `type` is the stanza's type attribute ("" when absent). */
export function decide(kind: StanzaKind, type: string, to: Jid, sessions: SessionRecord[]): Decision {
  if (to.isBare()) return toBare(kind, type, sessions);
  const full = to.toString();
  const match = sessions.find((s) => s.jid === full);
  // RFC 6121 §8.5.3.1: a connected resource (bound, available or not) that exactly matches the
  // full JID gets messages, presence and IQs. Probes and subscription presence belong to the
  // server (§4.3, §3): the router's presence path handles them, so they are never delivered.
  if (match) return kind === "presence" && isPresenceForServer(type) ? IGNORE : deliver([match]);
  return toFullWithoutMatch(kind, type, sessions);
}

function toBare(kind: StanzaKind, type: string, sessions: SessionRecord[]): Decision {
  // RFC 6121 §8.5.2.1.3 and §8.5.2.2.3: an IQ to a bare JID is answered by the server on behalf
  // of the account and never delivered to a resource.
  if (kind === "iq") return SERVER;
  if (kind === "presence") return presenceToBare(type, sessions);
  return messageToBare(normalType(type), sessions);
}

function messageToBare(type: string, sessions: SessionRecord[]): Decision {
  // RFC 6121 §8.5.2.1.1 and §8.5.2.2.1: groupchat is never delivered to an account, error is
  // silently ignored, whether or not resources are available.
  if (type === "groupchat") return UNAVAILABLE;
  if (type === "error") return IGNORE;
  if (type === "headline") {
    // RFC 6121 §8.5.2.1.1: headline goes to ALL non-negative resources; if there are none
    // (only negative ones, §8.5.2.1.1, or none available, §8.5.2.2.1) it is silently ignored.
    const nonNegative = sessions.filter((s) => s.available && s.priority >= 0);
    return nonNegative.length > 0 ? deliver(nonNegative) : IGNORE;
  }
  // chat and normal. RFC 6121 §8.5.2.1.1: deliver to the "most available" resource(s), here the
  // ones with the highest non-negative priority; if all available resources are negative, or
  // (§8.5.2.2.1) none is available, the server SHOULD store the message offline.
  const best = mostAvailable(sessions);
  return best.length > 0 ? deliver(best) : OFFLINE;
}

function presenceToBare(type: string, sessions: SessionRecord[]): Decision {
  // Subscription states (subscribe, subscribed, unsubscribe, unsubscribed; RFC 6121 §3) and
  // probes (§4.3) are processed by the server for the account (the router's presence path), never delivered.
  if (isPresenceForServer(type) || type === "error") return IGNORE;
  // RFC 6121 §8.5.2.1.2: available and unavailable presence go to all available resources,
  // whatever their priority; §8.5.2.2.2: with none available, silently ignore.
  const available = sessions.filter((s) => s.available);
  return available.length > 0 ? deliver(available) : IGNORE;
}

function toFullWithoutMatch(kind: StanzaKind, type: string, sessions: SessionRecord[]): Decision {
  if (kind === "iq") {
    // RFC 6121 §8.5.3.2.3: service-unavailable. RFC 6120 §8.2.3: a result or an error is never
    // answered, so those are dropped.
    return type === "result" || type === "error" ? IGNORE : UNAVAILABLE;
  }
  // RFC 6121 §8.5.3.2.2: presence (available or unavailable) to an unknown resource is silently
  // ignored; subscription presence and probes are the server's (see presenceToBare).
  if (kind === "presence") return IGNORE;
  const mtype = normalType(type);
  // RFC 6121 §8.5.3.2.1: error is silently ignored.
  if (mtype === "error") return IGNORE;
  // RFC 6121 §8.5.3.2.1: normal, groupchat and headline -> ignore or service-unavailable; we
  // return the error so the sender learns the resource is gone.
  if (mtype !== "chat") return UNAVAILABLE;
  // RFC 6121 §8.5.3.2.1, type chat: with no available or connected resource, or only negative
  // ones, store offline; otherwise deliver to the most available resource(s), as for a bare JID.
  const best = mostAvailable(sessions);
  return best.length > 0 ? deliver(best) : OFFLINE;
}

/** Available resources with the highest non-negative priority (RFC 6121 §8.5.2.1.1, option (a)). */
export function mostAvailable(sessions: SessionRecord[]): SessionRecord[] {
  let top = -1;
  for (const s of sessions) if (s.available && s.priority > top) top = s.priority;
  // RFC 6121 §8.5.2.1.1: "for any message type the server MUST NOT deliver the stanza to any
  // available resource with a negative priority".
  if (top < 0) return [];
  return sessions.filter((s) => s.available && s.priority === top);
}

/** RFC 6121 §5.2.2: a missing or unknown message type is treated as "normal". */
export function normalType(type: string | undefined): string {
  switch (type) {
    case "chat":
    case "error":
    case "groupchat":
    case "headline":
    case "normal":
      return type;
    default:
      return "normal";
  }
}

function isPresenceForServer(type: string): boolean {
  return ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe"].includes(type);
}

function deliver(targets: SessionRecord[]): Decision {
  return { action: "deliver", targets };
}
