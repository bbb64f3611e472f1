// AdminOps straight on the stores (Postgres/PGlite for users, Redis/memory for sessions).
import { parseJid } from "@xmppd/jid";
import { hashPassword } from "@xmppd/sasl";
import { UserExistsError } from "@xmppd/storage";
import type { AmpStore, OfflineStore, SessionStore, UserStore } from "@xmppd/storage";
import { describeRules } from "./stored-messages.ts";
import { AdminError } from "./ops.ts";
import type { AdminOps } from "./ops.ts";

export interface DirectOpsOptions {
  /** Absent when this backend has no user database (the error says which variable to set). */
  users?: UserStore;
  sessions?: SessionStore;
  /** Offline storage (the amp schema, perhaps in its own database). */
  offline?: OfflineStore;
  amp?: AmpStore;
  /** PBKDF2 iterations for new credentials (config.scramIterations). */
  iterations: number;
  /** Domains served; accounts are refused for any other. */
  domains: readonly string[];
  /** Why a store is missing, e.g. "set REDIS_URL". */
  missing?: { users?: string; sessions?: string; offline?: string };
  /** Releases the stores' connections. */
  close?: () => Promise<void>;
}

interface Account {
  local: string;
  domain: string;
  jid: string;
}

export function createDirectAdminOps(o: DirectOpsOptions): AdminOps {
  const users = (): UserStore => o.users ?? fail("unavailable", o.missing?.users ?? "no user database configured");
  const sessions = (): SessionStore => o.sessions ?? fail("unavailable", o.missing?.sessions ?? "no session store configured");
  const offline = (): { offline: OfflineStore; amp: AmpStore } =>
    o.offline && o.amp ? { offline: o.offline, amp: o.amp } : fail("unavailable", o.missing?.offline ?? "no offline storage configured");
  const served = new Set(o.domains.map((d) => parseJid(d).domain));
  const account = (user: string, domain: string): Account => {
    const a = prepareAccount(user, domain);
    if (!served.has(a.domain)) fail("invalid", `domain ${a.domain} is not served by this cluster (domains: ${[...served].join(", ")})`);
    return a;
  };

  return {
    async register(user, domain, password) {
      const a = account(user, domain);
      try {
        await users().create({ username: a.local, domain: a.domain, scram: credentials(password, o.iterations) });
      } catch (err) {
        if (err instanceof UserExistsError) fail("exists", "user already exists", err);
        throw err;
      }
      return a.jid;
    },
    async unregister(user, domain) {
      const a = account(user, domain);
      if (!(await users().delete(a.domain, a.local))) fail("not-found", `no such user: ${a.jid}`);
      // Nothing of the account is kept: its stored messages and expiry timers go too.
      await o.amp?.purge(a.jid);
      return a.jid;
    },
    async passwd(user, domain, password) {
      const a = account(user, domain);
      const scram = credentials(password, o.iterations);
      if (!(await users().setCredentials(a.domain, a.local, scram))) fail("not-found", `no such user: ${a.jid}`);
      return a.jid;
    },
    async users(domain) {
      return users().list(account("x", domain).domain);
    },
    async sessions(limit) {
      const store = sessions();
      const [total, page] = await Promise.all([store.count(), store.list(limit)]);
      return { total, sessions: page };
    },
    async ampMessages(user, domain) {
      const a = account(user, domain);
      const rows = await offline().offline.list(a.jid);
      return rows.map((r) => ({
        id: r.id, storedAt: r.storedAt.toISOString(), sender: r.sender, expiresAt: r.expiresAt?.toISOString() ?? null,
        rules: describeRules(r.meta), stanza: r.stanza,
      }));
    },
    async ampPurge(user, domain, expirableOnly) {
      const a = account(user, domain);
      return offline().amp.purge(a.jid, { expirableOnly });
    },
    async close() {
      await o.close?.();
    },
  };
}

/** SCRAM credentials, or an error that says what is wrong with the password. */
function credentials(password: unknown, iterations: number): ReturnType<typeof hashPassword> {
  if (typeof password !== "string" || password === "") fail("invalid", "empty password: an account needs a password of at least one character");
  try {
    return hashPassword(password, { iterations });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    fail("invalid", "password refused: SASLprep (RFC 4013) forbids some of its characters (control characters, unassigned code points) or maps them all to nothing", err);
  }
}

/** Prepares user@domain per RFC 7622, refusing anything that is not a plain account JID. */
export function prepareAccount(user: string, domain: string): Account {
  if (user === "" || /[@/]/.test(user) || /[@/]/.test(domain)) fail("invalid", `invalid account: ${user}@${domain}`);
  try {
    const jid = parseJid(`${user}@${domain}`);
    if (!jid.local) fail("invalid", `invalid account: ${user}@${domain}`);
    return { local: jid.local, domain: jid.domain, jid: jid.bareString() };
  } catch (err) {
    if (err instanceof AdminError) throw err;
    fail("invalid", `invalid account ${user}@${domain}: ${(err as Error).message}`, err);
  }
}

function fail(code: AdminError["code"], message: string, cause?: unknown): never {
  throw new AdminError(message, code, { cause });
}
