// RosterStore writes. Each runs in one transaction holding the owner's core.roster_versions row,
// so writers of one owner take turns and every change gets its own, increasing version
// (XEP-0237); the version moves only when a row really changes.
import type { RosterItem, SqlClient } from "../types.ts";
import { ITEM_COLUMNS, normaliseItem, sameItem, toItem, toVersion, type RosterRow } from "./roster-rows.ts";

type Tx = Pick<SqlClient, "query">;

// Creates the row at version 0 if needed and locks it until commit. A statement of its own: the
// statements after it then see everything the previous holder committed.
const LOCK_VERSION = `
INSERT INTO core.roster_versions (owner) VALUES ($1)
ON CONFLICT (owner) DO UPDATE SET version = core.roster_versions.version
RETURNING version::text AS version`;

const SELECT_ROW = `SELECT ${ITEM_COLUMNS} FROM core.roster WHERE owner = $1 AND contact = $2`;

// Bumps the version and writes the item at it in one statement; a tombstone comes back to life.
const WRITE_ITEM = `
WITH v AS (UPDATE core.roster_versions SET version = version + 1 WHERE owner = $1 RETURNING version)
INSERT INTO core.roster (owner, contact, name, subscription, ask, approved, pending_in, pending_in_stanza, groups, version, removed)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::text[], v.version, false FROM v
ON CONFLICT (owner, contact) DO UPDATE SET name = EXCLUDED.name, subscription = EXCLUDED.subscription,
  ask = EXCLUDED.ask, approved = EXCLUDED.approved, pending_in = EXCLUDED.pending_in,
  pending_in_stanza = EXCLUDED.pending_in_stanza, groups = EXCLUDED.groups, version = EXCLUDED.version, removed = false
RETURNING version::text AS version`;

// A tombstone keeps only the contact and the version of its removal (RFC 6121 §2.5: removing
// the item also ends the subscriptions, pending requests and pre-approval).
const WRITE_TOMBSTONE = `
WITH v AS (UPDATE core.roster_versions SET version = version + 1 WHERE owner = $1 RETURNING version)
UPDATE core.roster SET name = NULL, subscription = 'none', ask = NULL, approved = false, pending_in = false,
  pending_in_stanza = NULL, groups = '{}', removed = true, version = v.version
FROM v WHERE owner = $1 AND contact = $2
RETURNING core.roster.version::text AS version`;

// Keeps the newest $2 tombstones. A client older than the newest pruned one may have missed that
// removal, so the floor rises to it and changesSince sends such clients the whole roster.
const PRUNE_TOMBSTONES = `
WITH doomed AS (
  SELECT contact FROM core.roster WHERE owner = $1 AND removed ORDER BY version DESC OFFSET $2),
gone AS (
  DELETE FROM core.roster r USING doomed d WHERE r.owner = $1 AND r.contact = d.contact RETURNING r.version)
UPDATE core.roster_versions SET floor = greatest(floor, (SELECT max(version) FROM gone))
WHERE owner = $1 AND EXISTS (SELECT 1 FROM gone)`;

async function lockVersion(tx: Tx, owner: string): Promise<number> {
  return toVersion((await tx.query<{ version: string }>(LOCK_VERSION, [owner])).rows[0]?.version);
}

async function liveRow(tx: Tx, owner: string, contact: string): Promise<RosterRow | undefined> {
  const row = (await tx.query<RosterRow>(SELECT_ROW, [owner, contact])).rows[0];
  return row && !row.removed ? row : undefined;
}

function checkVersion(what: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new RangeError(`${what}: version must be an integer >= 0, got ${v}`);
}

export async function upsertItem(sql: SqlClient, owner: string, item: RosterItem, ifVersion?: number) {
  checkVersion("roster upsert", ifVersion);
  const next = normaliseItem(item);
  return sql.transaction(async (tx) => {
    const current = await lockVersion(tx, owner);
    if (ifVersion !== undefined && ifVersion !== current) return { version: current, changed: false };
    const old = await liveRow(tx, owner, next.jid);
    if (old && sameItem(toItem(old), next)) return { version: current, changed: false };
    const res = await tx.query<{ version: string }>(WRITE_ITEM, [owner, next.jid, next.name, next.subscription,
      next.ask, next.approved, next.pendingIn, next.pendingInStanza, next.groups]);
    return { version: toVersion(res.rows[0]?.version), changed: true };
  });
}

export async function removeItem(sql: SqlClient, owner: string, contact: string, keepTombstones: number) {
  return sql.transaction(async (tx) => {
    const current = await lockVersion(tx, owner);
    if (!(await liveRow(tx, owner, contact))) return { version: current, removed: false };
    const res = await tx.query<{ version: string }>(WRITE_TOMBSTONE, [owner, contact]);
    await tx.query(PRUNE_TOMBSTONES, [owner, keepTombstones]);
    return { version: toVersion(res.rows[0]?.version), removed: true };
  });
}
