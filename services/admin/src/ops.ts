// The admin operations, one interface with several backends (direct stores, the embedded
// standalone's endpoint), so the CLI and tests drive the same code.
import type { SessionRecord } from "@xmppd/storage";

export interface SessionsPage {
  total: number;
  sessions: SessionRecord[];
}

export interface AdminOps {
  /** Creates the account; returns its bare JID. */
  register(user: string, domain: string, password: string): Promise<string>;
  unregister(user: string, domain: string): Promise<string>;
  passwd(user: string, domain: string, password: string): Promise<string>;
  /** Usernames (prepared localparts) of one domain. */
  users(domain: string): Promise<string[]>;
  sessions(limit: number): Promise<SessionsPage>;
  close(): Promise<void>;
}

export type AdminErrorCode = "exists" | "not-found" | "invalid" | "unavailable";

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

export const OP_NAMES = ["register", "unregister", "passwd", "users", "sessions"] as const;
export type OpName = (typeof OP_NAMES)[number];
