// Storage contracts. Each interface has one contract suite that runs against every adapter.

/** One bound resource. Sessions are volatile (Redis or memory). */
export interface SessionRecord {
  /** Full JID, canonical (prepared) form. */
  jid: string;
  gateway: string;
  conn: string;
  /** True once the resource has sent available presence (RFC 6121 §4.2). */
  available: boolean;
  /** Presence priority, -128..127; 0 until presence is sent. */
  priority: number;
  /** Serialized last available presence stanza, if any. */
  presence?: string;
  boundAt: number;
  /** The resource asked for the roster: it gets roster pushes (RFC 6121 §2.1.6). */
  interested?: true;
  /** Bare or full JIDs sent directed available presence, owed an unavailable (RFC 6121 §4.6.3). */
  directed?: string[];
  /** The resource asked for the block list: it gets block pushes (XEP-0191 §5.3). */
  blocklist?: true;
  /** Message Carbons are enabled for the resource (XEP-0280 §4). */
  carbons?: true;
  /** The resource's resumable XEP-0198 session (SmStore): deliveries to it are numbered and kept. */
  sm?: string;
  /** The resource used flexible offline retrieval: no offline flood for the account (XEP-0013 §2.2). */
  flexOffline?: true;
}

/** Changes to a session's annotations (SessionStore.annotate); an empty directed list clears it. */
export interface SessionAnnotations {
  interested?: boolean;
  directed?: string[];
  blocklist?: boolean;
  carbons?: boolean;
  flexOffline?: boolean;
}

/** What the router needs to route a message to one account. */
export interface RecipientState {
  sessions: SessionRecord[];
  /** See SessionStore.addQueued. */
  queued: number;
  /** The account's cached block list (XEP-0191), or null when none is cached (ask BlockStore). */
  blocked: string[] | null;
  /** How many of the account's resources have carbons enabled (XEP-0280), also for blocklistsOnly. */
  carbons: number;
}

/** A version of an account's block list (BlockStore), as cached beside its sessions. */
export interface CachedBlocklist {
  version: number;
  jids: string[];
}

export type BindResult =
  | { ok: true; replaced?: SessionRecord }
  | { ok: false; reason: "resource-limit" };

export interface SessionStore {
  /** Atomically bind a resource. An existing session on the same full JID is replaced and returned. */
  bind(rec: SessionRecord, maxResources: number): Promise<BindResult>;
  /** Remove the session only if it still belongs to this connection. Returns the removed record. */
  unbind(jid: string, conn: string): Promise<SessionRecord | null>;
  /** All sessions of one bare JID. */
  get(bareJid: string): Promise<SessionRecord[]>;
  /** Sessions of many bare JIDs in one round trip. */
  getMany(bareJids: string[]): Promise<Map<string, SessionRecord[]>>;
  /**
   * Sessions, queued count and cached block list of many bare JIDs in ONE round trip (the
   * router's hot path). For the accounts in `blocklistsOnly` (and not in bareJids) only the block
   * list and the carbons count are read: their sessions come back empty and their queued count 0.
   */
  lookup(bareJids: string[], blocklistsOnly?: string[]): Promise<Map<string, RecipientState>>;
  /**
   * Caches an account's block list unless a cached copy is at least as new (same or higher
   * version). The copy lapses after ttlMs; a missing copy means "unknown", never "empty".
   */
  cacheBlocklist(bareJid: string, list: CachedBlocklist, ttlMs: number): Promise<void>;
  /**
   * Adds delta to the account's queued count and returns the new value, never below 0. The count
   * is the number of messages accepted onto the offline path and not yet delivered, stored-and-
   * flushed or bounced; while it is above 0, new chat/normal messages line up behind them
   * (invariant 2). It expires 7 days after its last change, so a lost decrement heals.
   */
  addQueued(bareJid: string, delta: number): Promise<number>;
  /**
   * The account's "nothing stored" mark: set by an AMP worker that found no offline row for it
   * while holding the owner's lock, cleared (under the same lock) before any row is stored for it.
   * Its absence means "unknown" (never checked, expired after 7 days, or Redis lost it): a router
   * asks for a flush at initial presence unless the mark is there (docs/architecture.md).
   */
  nothingStored(bareJid: string): Promise<boolean>;
  markNothingStored(bareJid: string): Promise<void>;
  clearNothingStored(bareJids: readonly string[]): Promise<void>;
  /** Update presence of a session still owned by conn. Returns false if it is gone. */
  setPresence(jid: string, conn: string, p: { available: boolean; priority: number; presence?: string }): Promise<boolean>;
  /** Update the annotations of a session still owned by conn. Returns false if it is gone. */
  annotate(jid: string, conn: string, a: SessionAnnotations): Promise<boolean>;
  /** Every session bound through one gateway. */
  listGateway(gateway: string): Promise<SessionRecord[]>;
  /** Remove and return every session bound through one gateway (its heartbeat lapsed). */
  removeGateway(gateway: string): Promise<SessionRecord[]>;
  /**
   * Re-registration after a data loss (docs/redis-loss.md): writes the record only while its full
   * JID is free or already held by the same gateway's connection. "restored": written; "present": the
   * connection still held it (nothing lost); "taken": another connection bound it meanwhile.
   * The record's carbons flag is not written (set it with annotate, which keeps the count).
   */
  restore(rec: SessionRecord): Promise<"restored" | "present" | "taken">;
  /**
   * The data set's epoch marker: `candidate` is stored unless a marker exists, and the stored one
   * is returned. A changed marker means the data was lost (an empty restart, a failover to a
   * replica that had not got it) since the caller last read it.
   */
  epoch(candidate: string): Promise<string>;
  /** Record a gateway heartbeat that lapses after ttlMs. */
  heartbeat(gateway: string, ttlMs: number): Promise<void>;
  /** Gateways that own sessions but whose heartbeat has lapsed. */
  deadGateways(): Promise<string[]>;
  /** Total sessions and a page of them, for the admin CLI. */
  list(limit: number): Promise<SessionRecord[]>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/**
 * XEP-0191 block lists in Postgres, the source of truth. JIDs are prepared (bare, full, domain or
 * domain/resource). Every change bumps the owner's version (0: never changed).
 */
export interface BlockStore {
  get(owner: string): Promise<CachedBlocklist>;
  /** Adds the JIDs; returns the new version and those not blocked before. */
  block(owner: string, jids: string[]): Promise<{ version: number; added: string[] }>;
  /** Removes the JIDs, or every one when `jids` is "all"; returns the new version and those removed. */
  unblock(owner: string, jids: string[] | "all"): Promise<{ version: number; removed: string[] }>;
}

/** XML stored for an account (XEP-0054 vCard: kind "vcard"; XEP-0049 private XML: kind "private"). */
export interface AccountXmlStore {
  get(owner: string, kind: "vcard" | "private", key: string): Promise<string | null>;
  /** Stores the XML, or deletes it when xml is null. */
  put(owner: string, kind: "vcard" | "private", key: string, xml: string | null): Promise<void>;
}

/** XEP-0012: the end of the account's last session. */
export interface LastActivityStore {
  get(owner: string): Promise<{ at: Date; status: string } | null>;
  record(owner: string, at: Date, status: string): Promise<void>;
}

/** SCRAM credentials for one hash (RFC 5802). No plaintext is ever stored. */
export interface ScramCredential {
  salt: string; // base64
  iterations: number;
  storedKey: string; // base64
  serverKey: string; // base64
}

export interface UserRecord {
  username: string; // prepared localpart
  domain: string;
  scram: { "SCRAM-SHA-1": ScramCredential; "SCRAM-SHA-256": ScramCredential };
  createdAt: Date;
}

export interface UserStore {
  /** Throws UserExistsError when the account exists. */
  create(user: Omit<UserRecord, "createdAt">): Promise<void>;
  get(domain: string, username: string): Promise<UserRecord | null>;
  /** Whether the account exists, without reading its credentials (the AMP worker may not read them). */
  exists(domain: string, username: string): Promise<boolean>;
  setCredentials(domain: string, username: string, scram: UserRecord["scram"]): Promise<boolean>;
  delete(domain: string, username: string): Promise<boolean>;
  list(domain: string, limit?: number): Promise<string[]>;
  /** A random secret shared by the whole cluster, created on first use (32 bytes). */
  serverSecret(name: string): Promise<Buffer>;
}

export interface OfflineMessage {
  /** Idempotency key: a republish with the same key stores nothing new. */
  key: string;
  /** Recipient bare JID. */
  owner: string;
  /** Sender full JID. */
  sender: string;
  /** The stanza as delivered later (without <delay/>; it is added on flush). */
  stanza: string;
  /** Router-assigned order key: flush order is (orderKey, id). */
  orderKey: string;
  storedAt: Date;
  /** Earliest unfired expire-at (AMP), or null. */
  expiresAt: Date | null;
  /** AMP rules and fired flags, stored beside the payload. */
  meta: unknown;
}

export type StoreOutcome = "stored" | "duplicate" | "quota";

/**
 * Called with the owners' locks held, before a store inserts anything (every store, whatever it
 * then decides), or when a drain finds nothing stored: what it does is ordered with every store and
 * drain of those owners (the AMP worker keeps SessionStore.nothingStored this way).
 */
export interface OwnerLockHooks {
  beforeStore?(owners: readonly string[]): Promise<void>;
  whenNoneStored?(owner: string): Promise<void>;
}

export interface OfflineStore {
  /** Store unless the owner already has `quota` messages. */
  store(msg: Omit<OfflineMessage, "storedAt">, quota: number, hooks?: OwnerLockHooks): Promise<StoreOutcome>;
  /**
   * store() for each message in order, in one transaction and one statement: outcome i is what
   * store() would have answered for message i after messages 0..i-1 (a key repeated in the
   * batch is a duplicate; the quota counts the batch's earlier messages of the same owner).
   */
  storeMany(msgs: Omit<OfflineMessage, "storedAt">[], quota: number, hooks?: OwnerLockHooks): Promise<StoreOutcome[]>;
  /** Oldest first. */
  list(owner: string, limit?: number): Promise<(OfflineMessage & { id: string })[]>;
  delete(ids: string[]): Promise<number>;
  count(owner: string): Promise<number>;
  /**
   * Hands the owner's messages to `deliver`, oldest first, a page at a time, and deletes the ids it
   * returns, all in one transaction holding the owner's lock: drains and stores for one owner run
   * one after another, so no row is delivered twice and none is stored mid-drain. Stops after the
   * first page that was not delivered entirely. Returns how many rows it deleted. `deliver` must
   * not use the SQL client (the transaction holds it; PGlite has a single connection). With the
   * owner holding no row at all, `hooks.whenNoneStored` runs under the lock.
   */
  drain(owner: string, deliver: (rows: (OfflineMessage & { id: string })[]) => Promise<string[]>, pageSize?: number, hooks?: OwnerLockHooks): Promise<number>;
}

/** RFC 6121 §2.1.2.5: the subscription states a stored roster item can have. */
export type RosterSubscription = "none" | "to" | "from" | "both";

/** One roster item (RFC 6121 §2.1) with the server-side subscription state beside it. */
export interface RosterItem {
  /** The contact's bare JID, canonical (prepared) form. */
  jid: string;
  name: string | null;
  subscription: RosterSubscription;
  /** "subscribe" while the owner's outbound request is pending (RFC 6121 §3.1.2). */
  ask: "subscribe" | null;
  /** The owner pre-approved the contact's subscription (RFC 6121 §3.4). */
  approved: boolean;
  /** An inbound subscription request awaits the owner's answer (RFC 6121 §3.1.3). */
  pendingIn: boolean;
  /** The stored subscribe stanza, re-delivered when the owner next logs in. */
  pendingInStanza: string | null;
  /** Deduplicated, in the order first given. */
  groups: string[];
}

/** An item changed after some roster version; a removed one is a tombstone with neutral fields. */
export type RosterChange = RosterItem & { removed?: boolean };

/**
 * Rosters with XEP-0237 versions: every change bumps the owner's version by one, and each item
 * remembers the version of its last change, so a client can be sent only what it missed.
 * Owners and contacts are prepared bare JIDs. Limits (items per owner) are the caller's.
 */
export interface RosterStore {
  /** The owner's items, sorted by jid (byte order), and the roster version (0: never changed). */
  get(owner: string): Promise<{ version: number; items: RosterItem[] }>;
  item(owner: string, contact: string): Promise<RosterItem | null>;
  /**
   * Creates or replaces the item for item.jid. The version is bumped only when something changed.
   * With ifVersion, nothing is written unless the roster is still at that version (a caller's
   * read-modify-write): the answer is then { version: current, changed: false }.
   */
  upsert(owner: string, item: RosterItem, opts?: { ifVersion?: number }): Promise<{ version: number; changed: boolean }>;
  /** Removes the item, leaving a tombstone for changesSince. */
  remove(owner: string, contact: string): Promise<{ version: number; removed: boolean }>;
  /**
   * Items changed after `version`, oldest change first, removals included (removed: true).
   * null when that version cannot be served incrementally (its tombstones were pruned, or it is
   * newer than the roster): the caller sends the whole roster instead.
   */
  changesSince(owner: string, version: number): Promise<{ version: number; changes: RosterChange[] } | null>;
  /** Contacts with subscription from|both: they receive the owner's presence. Sorted. */
  subscribersOf(owner: string): Promise<string[]>;
  /** Contacts with subscription to|both: the owner receives theirs (probe targets). Sorted. */
  subscriptionsOf(owner: string): Promise<string[]>;
  /**
   * What an initial presence needs, in one read: subscribersOf, subscriptionsOf and the stored
   * inbound subscription requests (RFC 6121 §3.1.3: pending_in with its stanza), each sorted by contact.
   */
  presenceView(owner: string): Promise<RosterPresenceView>;
  /** True when the owner's item for contact has subscription from|both (XEP-0079 strict security). */
  authorises(owner: string, contact: string): Promise<boolean>;
  /** Number of items (tombstones excluded). */
  count(owner: string): Promise<number>;
  /** Deletes the owner's roster and version entirely (account deletion). */
  purge(owner: string): Promise<void>;
}

export interface RosterPresenceView {
  subscribers: string[];
  subscriptions: string[];
  /** The stored subscribe stanzas of inbound requests awaiting the owner's answer. */
  pendingIn: string[];
}

/** The SQL surface both pg and PGlite adapters provide; stores are written once against it. */
export interface SqlClient {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }>;
  transaction<T>(fn: (tx: Pick<SqlClient, "query">) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** An XEP-0079 event (alert, error, notify reply) to send to the original sender. */
export interface AmpEvent {
  /** Idempotency key: one event per key, ever (see AmpStore.record). */
  key: string;
  /** The original sender's full JID: the event's `to` (XEP-0079 DP-04, DP-22). */
  recipient: string;
  stanza: string;
}

/** An event recorded in the outbox and not yet marked sent. */
export type RecordedEvent = AmpEvent & { id: string };

/** What an expiry pass (XEP-0079 DP-02 E2/E3) does with one stored message whose expiry is due. */
export type ExpiryVerdict =
  /** Discard the message (drop, alert, error). */
  | { t: "delete"; events: AmpEvent[] }
  /** Keep it with new rule state and next expiry (notify, or nothing met after all). */
  | { t: "keep"; meta: unknown; expiresAt: Date | null; events: AmpEvent[] };

export interface ExpiryResult {
  /** Rows handed to the verdict. */
  rows: number;
  /** Events recorded by this pass (claimed by the caller, who sends them and marks them sent). */
  events: RecordedEvent[];
  /** For each row, how late its expiry was handled, in milliseconds. */
  lagsMs: number[];
}

/**
 * XEP-0079 storage beside the offline queue: the event outbox and expiry of stored messages.
 * Every method that changes a stored message takes the owner's lock, like OfflineStore.
 */
export interface AmpStore {
  /**
   * Records events whose key was never recorded, claimed by the caller for `claimMs`; returns
   * those newly recorded (to be sent now). Already recorded keys are skipped: never sent twice.
   */
  record(events: AmpEvent[], claimMs: number): Promise<RecordedEvent[]>;
  markSent(ids: string[]): Promise<void>;
  /** Unsent events whose claim lapsed (their recorder died), claimed anew for `claimMs`. */
  claimStale(limit: number, claimMs: number): Promise<RecordedEvent[]>;
  /** Deletes sent events older than `olderThanMs`; returns how many. */
  pruneSent(olderThanMs: number): Promise<number>;
  /** Owners with at least one stored message whose expiry is at or before `now`. */
  dueOwners(now: Date, limit: number): Promise<string[]>;
  /**
   * In one transaction under the owner's lock: each of the owner's stored messages due at `now`
   * (oldest first) gets the verdict, which is applied, and its events recorded (claimed for
   * `claimMs`). A second worker doing the same waits for the lock and finds nothing due.
   */
  expireOwner(owner: string, now: Date, verdict: (row: OfflineMessage & { id: string }) => ExpiryVerdict, claimMs: number): Promise<ExpiryResult>;
  /** Stored messages with a pending expiry (the timers). */
  pendingTimers(): Promise<number>;
  /** Deletes every stored message of the owner (admin purge); returns how many. */
  purge(owner: string, opts?: { expirableOnly?: boolean }): Promise<number>;
}
