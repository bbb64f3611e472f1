// The admin operations, one interface with several backends (direct stores, the embedded
// standalone's endpoint), so the CLI and tests drive the same code.
import type { SessionRecord } from "@xmppd/storage";

export interface SessionsPage {
  total: number;
  sessions: SessionRecord[];
}

/** A message waiting in an account's offline queue, as the admin sees it. */
export interface StoredMessage {
  id: string;
  storedAt: string;
  sender: string;
  /** The earliest unfired XEP-0079 expire-at, ISO 8601; null when the message never expires. */
  expiresAt: string | null;
  /** The XEP-0079 rules kept with it ("condition=value:action", fired ones marked), or "". */
  rules: string;
  stanza: string;
}

export interface AdminOps {
  /** Creates the account; returns its bare JID. */
  register(user: string, domain: string, password: string): Promise<string>;
  unregister(user: string, domain: string): Promise<string>;
  passwd(user: string, domain: string, password: string): Promise<string>;
  /** Usernames (prepared localparts) of one domain. */
  users(domain: string): Promise<string[]>;
  sessions(limit: number): Promise<SessionsPage>;
  /** The account's stored (offline) messages, oldest first, with their XEP-0079 expiry and rules. */
  ampMessages(user: string, domain: string): Promise<StoredMessage[]>;
  /** Deletes the account's stored messages (only those with an expire-at pending, if asked); returns how many. */
  ampPurge(user: string, domain: string, expirableOnly: boolean): Promise<number>;
  close(): Promise<void>;
}

/** "internal": an unexpected failure in the running standalone, reported by its endpoint. */
export type AdminErrorCode = "exists" | "not-found" | "invalid" | "unavailable" | "internal";

/** An expected failure, reported to the operator as one line (exit code 1). */
export class AdminError extends Error {
  override name = "AdminError";
  constructor(
    message: string,
    readonly code: AdminErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const OP_NAMES = ["register", "unregister", "passwd", "users", "sessions", "ampMessages", "ampPurge"] as const;
export type OpName = (typeof OP_NAMES)[number];
