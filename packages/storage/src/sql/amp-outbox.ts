// The XEP-0079 event outbox: an event is recorded (claimed by its recorder) before it is sent and
// marked sent after, so a kill between the decision and the send loses nothing (another worker
// sends it when the claim lapses) and a redelivered work item never sends it twice (unique key).
import type { AmpEvent, RecordedEvent, SqlClient } from "../types.ts";

type Query = Pick<SqlClient, "query">;

interface EventRow {
  id: string;
  key: string;
  recipient: string;
  stanza: string;
}

const toEvent = (r: EventRow): RecordedEvent => ({ id: String(r.id), key: r.key, recipient: r.recipient, stanza: r.stanza });

const RECORD = `
INSERT INTO amp.outbox (key, recipient, stanza, claimed_until)
SELECT k, r, s, now() + make_interval(secs => $4::float8 / 1000)
FROM unnest($1::text[], $2::text[], $3::text[]) AS e(k, r, s)
ON CONFLICT (key) DO NOTHING
RETURNING id::text AS id, key, recipient, stanza`;

/** Records the events not recorded before (in the caller's transaction, if any). */
export async function recordEvents(q: Query, events: AmpEvent[], claimMs: number): Promise<RecordedEvent[]> {
  if (events.length === 0) return [];
  const res = await q.query<EventRow>(RECORD, [events.map((e) => e.key), events.map((e) => e.recipient), events.map((e) => e.stanza), claimMs]);
  // RETURNING order is unspecified: keep the callers' order (several events of one pass).
  const byKey = new Map(res.rows.map((r) => [r.key, toEvent(r)]));
  return events.flatMap((e) => byKey.get(e.key) ?? []);
}

export async function markSent(q: Query, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(`UPDATE amp.outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
}

// SKIP LOCKED: two workers relaying at once take different events.
const CLAIM_STALE = `
UPDATE amp.outbox SET claimed_until = now() + make_interval(secs => $2::float8 / 1000)
WHERE id IN (
  SELECT id FROM amp.outbox WHERE sent_at IS NULL AND claimed_until <= now()
  ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id::text AS id, key, recipient, stanza`;

export async function claimStale(q: Query, limit: number, claimMs: number): Promise<RecordedEvent[]> {
  const res = await q.query<EventRow>(CLAIM_STALE, [limit, claimMs]);
  return res.rows.map(toEvent).sort((a, b) => Number(a.id) - Number(b.id));
}

export async function pruneSent(q: Query, olderThanMs: number): Promise<number> {
  const res = await q.query(`DELETE FROM amp.outbox WHERE sent_at < now() - make_interval(secs => $1::float8 / 1000)`, [olderThanMs]);
  return res.rowCount;
}
