// XEP-0079 passes E2 and E3 (DP-02): when a stored message's earliest unfired expire-at is due,
// its unfired expire-at rules are evaluated in document order. drop deletes it silently, alert
// and error delete it and tell the sender, notify tells the sender and keeps it (marked fired).
// The same evaluation serves the expiry timer (E3) and a flush (E2: run before the drain, so
// an expired message is never delivered).
import { ampCore } from "@xmppd/modules";
import { parseJid } from "@xmppd/jid";
import type { AmpEvent, ExpiryVerdict, OfflineMessage } from "@xmppd/storage";
import { parseElement } from "@xmppd/xml";
import type { WorkContext } from "../context.ts";
import { releaseQueued } from "../queued.ts";
import { EVENT_CLAIM_MS, sendRecorded } from "./events.ts";
import { countRule } from "./rule-metrics.ts";
import { readStoredAmp, storedAmp } from "./stored-rules.ts";

type Row = OfflineMessage & { id: string };

/** The verdict for one due row (pure apart from the metrics it counts). */
export function expiryVerdict(ctx: WorkContext, row: Row, nowMs: number): ExpiryVerdict {
  const state = readStoredAmp(row.meta);
  if (!state) return { t: "keep", meta: row.meta, expiresAt: null, events: [] };
  // E2/E3 look only at expire-at rules, so the disposition does not matter (it was fixed at E1).
  const disp = ampCore.disposition({ type: "chat", to: "", sessions: [], accountExists: true, storageEnabled: true, quotaReached: false });
  const result = ampCore.evaluatePass(state.rules, "E3", disp, nowMs, state.fired);
  const fired = ampCore.markFired(state.fired, result);
  const rule = state.rules.find((r) => r.index === result.fired);
  const next = ampCore.nextExpiry(state.rules, fired);
  const keep = (events: AmpEvent[]): ExpiryVerdict => ({ t: "keep", meta: storedAmp(state.raws, fired), expiresAt: next === null ? null : new Date(next), events });
  if (!rule) return keep([]);
  countRule(ctx, rule, "fired");
  // DP-04: the event comes from the recipient's domain; its key makes it one per rule, ever.
  const events: AmpEvent[] = rule.action === "drop" ? [] : [{
    key: `${row.key}:expire:${rule.index}`,
    recipient: row.sender,
    stanza: ampCore.eventReply(parseElement(row.stanza), rule, parseJid(row.owner).domain).toString(),
  }];
  return rule.action === "notify" ? keep(events) : { t: "delete", events };
}

/** Runs E2/E3 for everything of `owner` that is due now; sends the events. */
export async function expireOwner(ctx: WorkContext, owner: string): Promise<number> {
  const now = new Date();
  let deleted = 0;
  const result = await ctx.amp.expireOwner(owner, now, (row) => {
    const v = expiryVerdict(ctx, row, now.getTime());
    if (v.t === "delete") deleted += 1;
    return v;
  }, EVENT_CLAIM_MS);
  for (const lag of result.lagsMs) ctx.metrics.expiryLag.observe(Math.max(0, lag) / 1000);
  // Every stored row is counted as queued for its owner (queued.ts); a deleted one is released.
  await releaseQueued(ctx, owner, deleted);
  await sendRecorded(ctx, result.events);
  return result.rows;
}
