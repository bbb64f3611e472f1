// XEP-0079 pass E1, at receipt (DP-02, DP-07): the security check (DP-11), one read of the
// recipient's sessions for the disposition, the first rule met in document order, then its
// action and the default behaviour. Events are sent through the outbox (events.ts) after the
// hand-off (direct) or the commit (stored), as DP-07 and DP-19 require.
import type { AmpWork } from "@xmppd/bus";
import { parseJid, type Jid } from "@xmppd/jid";
import { ampCore } from "@xmppd/modules";
import { normalType } from "@xmppd/routing";
import { parseElement, type Element } from "@xmppd/xml";
import type { OfflineMessage, SessionRecord } from "@xmppd/storage";
import { bounce } from "../bounce.ts";
import { PoisonWorkError, type Outcome, type WorkContext, type WorkMeta } from "../context.ts";
import { deliverToAny, liveOnce } from "../delivery.ts";
import { drainToSessions } from "../drain.ts";
import { releaseQueued } from "../queued.ts";
import { copyReceived } from "./carbons.ts";
import { emitEvents } from "./events.ts";
import { countRule } from "./rule-metrics.ts";
import { securityLevel, senderAuthorised } from "./security.ts";
import { storedAmp } from "./stored-rules.ts";

type MessageWork = Extract<AmpWork, { t: "message" }>;

interface Received {
  work: MessageWork;
  stanza: Element;
  request: ampCore.AmpRequest;
  rules: ampCore.Rule[];
  to: Jid;
  owner: string;
  type: string;
  /** The router counted it as queued for the owner (chat and normal): released unless stored. */
  counted: boolean;
}

export async function receiveAmp(work: MessageWork, ctx: WorkContext, meta?: WorkMeta): Promise<Outcome> {
  const r = parse(work);
  const { outcome, keepsCount } = await evaluate(ctx, r, meta?.deliveryCount ?? 1);
  if (r.counted && !keepsCount) await releaseQueued(ctx, r.owner, 1);
  return outcome;
}

/** keepsCount: the queued count the router added now belongs to a stored row. */
async function evaluate(ctx: WorkContext, r: Received, deliveryCount: number): Promise<{ outcome: Outcome; keepsCount: boolean }> {
  const domain = r.to.domain;
  // DP-07: the one read of the recipient's sessions. A bound resource proves the account exists
  // (the security check below still never depends on presence: only on existence).
  const sessions = await ctx.sessions.get(r.owner);
  const exists = sessions.length > 0 || (r.to.local !== "" && (await ctx.users.exists(domain, r.to.local)));
  const level = securityLevel(ctx, domain);
  const sender = parseJid(r.work.from);
  const authorised = level === "strict" && exists && (await senderAuthorised(ctx, r.work.from, sender.bareString(), r.owner));
  // DP-11: decided before any condition, so the answer never depends on the recipient's presence.
  const refused = ampCore.securityRefusals(r.rules, level, authorised, exists);
  if (refused.length > 0) {
    for (const rule of refused) countRule(ctx, rule, "refused");
    const reply = ampCore.validationErrorReply(r.stanza, r.request, "invalid-rules", refused.map((x) => x.raw), domain);
    await emitEvents(ctx, [{ key: `${r.work.key}:E1`, recipient: r.work.from, stanza: reply.toString() }]);
    return { outcome: "refused", keepsCount: false };
  }
  const input = { type: r.type, to: r.work.to, sessions, accountExists: exists, storageEnabled: ctx.config.offline.enabled, quotaReached: false };
  let disp = ampCore.disposition(input);
  // The quota matters only when the message would be stored: counted then, not for every message.
  if (disp.deliver === "stored" && (await ctx.offline.count(r.owner)) >= ctx.config.offline.quota) disp = ampCore.disposition({ ...input, quotaReached: true });
  let pass = ampCore.evaluatePass(r.rules, "E1", disp, Date.now(), []);
  if (pass.outcome.effect === "store") {
    const stored = await store(ctx, r, pass);
    // A duplicate on a first delivery is an earlier publish of the same stanza, whose row holds
    // its own count; on a redelivery it is our own row, stored before a failure.
    if (stored !== "quota") return { outcome: await finishStored(ctx, r, pass, stored), keepsCount: stored === "stored" || deliveryCount > 1 };
    // DP-19: the write failed (the quota filled since the count): E1 again, as `none`.
    disp = ampCore.disposition({ ...input, quotaReached: true });
    pass = ampCore.evaluatePass(r.rules, "E1", disp, Date.now(), []);
  }
  return { outcome: await act(ctx, r, disp, pass, sessions), keepsCount: false };
}

/** Terminal actions and the default behaviour for deliver, bounce and discard. */
async function act(ctx: WorkContext, r: Received, disp: ampCore.Disposition, pass: ampCore.PassResult, sessions: SessionRecord[]): Promise<Outcome> {
  const rule = firedRule(ctx, r, pass);
  const event = rule && rule.action !== "drop" ? eventFor(r, rule) : null;
  const { effect } = pass.outcome;
  // Terminal actions act at once; a notify about `direct` waits for the hand-off (DP-07); a
  // notify about `none` (no account, storage off, quota full) goes before the bounce it
  // announces, so the sender learns why before it hears the default behaviour (DP-18).
  if (event && (rule?.action !== "notify" || effect === "bounce")) await emitEvents(ctx, [event]);
  // A notify reports the hand-off; a message no target took was bounced instead (DP-07).
  let handedOff = true;
  if (effect === "deliver") {
    const delivered = ampCore.stripAmp(r.stanza);
    const text = delivered.toString();
    if (await deliverToAny(ctx, disp.targets, text, liveOnce(r.work))) {
      await copyReceived(ctx, delivered, r.owner, disp.targets, sessions, liveOnce(r.work, "carbon"));
      await ctx.bus.flush();
    } else {
      // Every target's queue is at its bound (docs/bounds.md): the sender hears of it, as for a
      // message the rules decided to bounce.
      handedOff = false;
      await bounce(ctx, { stanza: delivered, condition: "resource-constraint", from: r.owner, to: r.work.from, reason: "full", once: liveOnce(r.work, "bounce") });
    }
  } else if (effect === "bounce") {
    // DP-18: service-unavailable from the recipient's bare JID.
    await bounce(ctx, { stanza: ampCore.stripAmp(r.stanza), condition: "service-unavailable", from: r.owner, to: r.work.from, reason: "amp-none", once: liveOnce(r.work, "bounce") });
  }
  if (event && rule?.action === "notify" && effect !== "bounce" && handedOff) await emitEvents(ctx, [event]);
  return rule ? `${rule.action}-${effect}` : effect;
}

type StoreResult = "stored" | "duplicate" | "quota";

async function store(ctx: WorkContext, r: Received, pass: ampCore.PassResult): Promise<StoreResult> {
  const result = await ctx.offline.store(rowOf(r, pass), ctx.config.offline.quota);
  if (result === "stored") (ctx.metrics.offlineStored.inc(), ctx.metrics.stanzaOutcomes.inc({ outcome: "stored", reason: "amp" }));
  return result;
}

function rowOf(r: Received, pass: ampCore.PassResult): Omit<OfflineMessage, "storedAt"> {
  const fired = ampCore.markFired([], pass);
  const next = ampCore.nextExpiry(r.rules, fired);
  return {
    key: r.work.key, owner: r.owner, sender: r.work.from, orderKey: r.work.order,
    // DP-05: stored without <amp/>; the rules and their fired flags are kept beside it.
    stanza: ampCore.stripAmp(r.stanza).toString(),
    expiresAt: next === null ? null : new Date(next),
    meta: storedAmp(r.request.rules, fired),
  };
}

/**
 * E1 for an existing account with no resource bound, when it ends in storing the message and
 * nothing else (no rule fired, so no event): the row to store, for a batch (batch.ts). Anything
 * else (a refusal, a rule met, a quota to check again) is left to receiveAmp.
 */
export async function quietlyStored(ctx: WorkContext, work: MessageWork): Promise<Omit<OfflineMessage, "storedAt"> | undefined> {
  let r: Received;
  try {
    r = parse(work);
  } catch {
    return undefined; // receiveAmp reports it
  }
  const level = securityLevel(ctx, r.to.domain);
  const authorised = level === "strict" && (await senderAuthorised(ctx, work.from, parseJid(work.from).bareString(), r.owner));
  if (ampCore.securityRefusals(r.rules, level, authorised, true).length > 0) return undefined;
  const disp = ampCore.disposition({ type: r.type, to: work.to, sessions: [], accountExists: true, storageEnabled: ctx.config.offline.enabled, quotaReached: false });
  const pass = ampCore.evaluatePass(r.rules, "E1", disp, Date.now(), []);
  if (pass.outcome.effect !== "store" || pass.fired !== null) return undefined;
  return rowOf(r, pass);
}

/** DP-19: a stored notify is sent after the commit; then the recipient may have come online meanwhile. */
async function finishStored(ctx: WorkContext, r: Received, pass: ampCore.PassResult, outcome: "stored" | "duplicate"): Promise<Outcome> {
  const rule = firedRule(ctx, r, pass);
  if (rule && rule.action === "notify") await emitEvents(ctx, [eventFor(r, rule)]);
  const sessions = await ctx.sessions.get(r.owner);
  if (sessions.some((s) => s.available && s.priority >= 0)) await drainToSessions(ctx, r.owner);
  return rule ? `notify-${outcome}` : outcome;
}

function firedRule(ctx: WorkContext, r: Received, pass: ampCore.PassResult): ampCore.Rule | undefined {
  const rule = r.rules.find((x) => x.index === pass.fired);
  if (rule) countRule(ctx, rule, "fired");
  return rule;
}

/** DP-04 from the recipient's domain; DP-08: one event per pass, whatever the rule, so a re-run never adds a second. */
function eventFor(r: Received, rule: ampCore.Rule): { key: string; recipient: string; stanza: string } {
  return { key: `${r.work.key}:E1`, recipient: r.work.from, stanza: ampCore.eventReply(r.stanza, rule, r.to.domain).toString() };
}

function parse(work: MessageWork): Received {
  try {
    const stanza = parseElement(work.xml);
    const request = ampCore.parseAmp(stanza);
    if (!request) throw new Error("no <amp/> in a message flagged as AMP");
    const valid = ampCore.validateAmp(stanza, request);
    // The router validated it (DP-03 a-c); a failure here is a bug or a tampered queue.
    if (!valid.ok) throw new Error(`AMP rules failed validation in the worker: ${valid.kind}`);
    const to = parseJid(work.to);
    const type = normalType(stanza.attrs.type as string | undefined);
    return { work, stanza, request, rules: valid.rules, to, owner: to.bareString(), type, counted: type === "chat" || type === "normal" };
  } catch (err) {
    throw new PoisonWorkError(`AMP work ${work.key} is not processable`, { cause: err });
  }
}
