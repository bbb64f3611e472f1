import type { RosterPresenceView, RosterStore, SqlClient } from "../types.ts";
import { ITEM_COLUMNS, toChange, toItem, toVersion, type RosterRow } from "./roster-rows.ts";
import { removeItem, upsertItem } from "./roster-write.ts";

export interface RosterStoreOptions {
  /** Removals remembered per owner for incremental retrieval (default 1000); older ones are pruned. */
  keepTombstones?: number;
}

export const DEFAULT_KEEP_TOMBSTONES = 1000;

type Tx = Pick<SqlClient, "query">;

const SELECT_HEAD = `SELECT version::text AS version, floor::text AS floor FROM core.roster_versions WHERE owner = $1`;

const SELECT_CONTACTS = (subscriptions: string) => `
SELECT contact FROM core.roster WHERE owner = $1 AND NOT removed AND subscription IN (${subscriptions})
ORDER BY contact`;

// A version and the rows it describes must come from one snapshot: read apart, a concurrent
// write (or tombstone pruning) in between could pair a version with rows that miss a change.
function snapshot<T>(sql: SqlClient, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return sql.transaction(async (tx) => {
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    return fn(tx);
  });
}

async function head(tx: Tx, owner: string): Promise<{ version: number; floor: number }> {
  const row = (await tx.query<{ version: string; floor: string }>(SELECT_HEAD, [owner])).rows[0];
  return { version: toVersion(row?.version), floor: toVersion(row?.floor) };
}

// presenceView: one round trip instead of three statements and a snapshot transaction (five).
const SELECT_PRESENCE_VIEW = `
SELECT contact, subscription, CASE WHEN pending_in THEN pending_in_stanza END AS pending
FROM core.roster WHERE owner = $1 AND NOT removed AND (subscription <> 'none' OR pending_in)
ORDER BY contact`;

async function contacts(sql: SqlClient, owner: string, subscriptions: string): Promise<string[]> {
  return (await sql.query<{ contact: string }>(SELECT_CONTACTS(subscriptions), [owner])).rows.map((r) => r.contact);
}

/** Rosters in core.roster and core.roster_versions, for pg and PGlite alike. */
export function createRosterStore(sql: SqlClient, opts: RosterStoreOptions = {}): RosterStore {
  const keep = opts.keepTombstones ?? DEFAULT_KEEP_TOMBSTONES;
  if (!Number.isSafeInteger(keep) || keep < 0) throw new RangeError(`keepTombstones must be an integer >= 0, got ${keep}`);
  return {
    get: (owner) => snapshot(sql, async (tx) => {
      const { version } = await head(tx, owner);
      const rows = await tx.query<RosterRow>(
        `SELECT ${ITEM_COLUMNS} FROM core.roster WHERE owner = $1 AND NOT removed ORDER BY contact`, [owner]);
      return { version, items: rows.rows.map(toItem) };
    }),
    async item(owner, contact) {
      const res = await sql.query<RosterRow>(
        `SELECT ${ITEM_COLUMNS} FROM core.roster WHERE owner = $1 AND contact = $2 AND NOT removed`, [owner, contact]);
      return res.rows[0] ? toItem(res.rows[0]) : null;
    },
    upsert: (owner, item, o) => upsertItem(sql, owner, item, o?.ifVersion),
    remove: (owner, contact) => removeItem(sql, owner, contact, keep),
    async changesSince(owner, since) {
      if (!Number.isSafeInteger(since) || since < 0) throw new RangeError(`changesSince: version must be an integer >= 0, got ${since}`);
      return snapshot(sql, async (tx) => {
        const { version, floor } = await head(tx, owner);
        // Older than the pruned tombstones, or newer than the roster (e.g. deleted and recreated).
        if (since < floor || since > version) return null;
        const rows = await tx.query<RosterRow>(
          `SELECT ${ITEM_COLUMNS} FROM core.roster WHERE owner = $1 AND version > $2 ORDER BY version`, [owner, since]);
        return { version, changes: rows.rows.map(toChange) };
      });
    },
    // RFC 6121 §4.2.2: available presence goes to contacts with subscription from|both.
    subscribersOf: (owner) => contacts(sql, owner, `'from', 'both'`),
    // RFC 6121 §4.3: probes go to contacts with subscription to|both.
    subscriptionsOf: (owner) => contacts(sql, owner, `'to', 'both'`),
    async presenceView(owner) {
      const rows = (await sql.query<{ contact: string; subscription: string; pending: string | null }>(SELECT_PRESENCE_VIEW, [owner])).rows;
      const view: RosterPresenceView = { subscribers: [], subscriptions: [], pendingIn: [] };
      for (const r of rows) {
        if (r.subscription === "from" || r.subscription === "both") view.subscribers.push(r.contact);
        if (r.subscription === "to" || r.subscription === "both") view.subscriptions.push(r.contact);
        if (r.pending) view.pendingIn.push(r.pending);
      }
      return view;
    },
    async authorises(owner, contact) {
      const res = await sql.query(
        `SELECT 1 FROM core.roster WHERE owner = $1 AND contact = $2 AND NOT removed AND subscription IN ('from', 'both')`,
        [owner, contact]);
      return res.rows.length > 0;
    },
    async count(owner) {
      const res = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM core.roster WHERE owner = $1 AND NOT removed`, [owner]);
      return res.rows[0]?.n ?? 0;
    },
    async purge(owner) {
      // The version row first: deleting it waits for a writer holding it, so the next statement
      // also deletes what that writer committed, and later writers start again from a new row.
      await sql.transaction(async (tx) => {
        await tx.query(`DELETE FROM core.roster_versions WHERE owner = $1`, [owner]);
        await tx.query(`DELETE FROM core.roster WHERE owner = $1`, [owner]);
      });
    },
  };
}
