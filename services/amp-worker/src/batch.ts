// A partition's batch of work (WorkQueue.consumeBatches), in order. Messages for accounts with no
// available resource (the offline burst: chat and normal ones, and XEP-0079 ones whose rules
// just store them) are stored together: the batch's sessions in one Redis round trip, their rows
// in one transaction of one statement, then acknowledged. Everything else goes through its handler one by one, after the rows before it
// are committed, so an account's work keeps its order (invariant 2). A message stored so is not
// drained here: the account has no resource, and the flush its login queues comes after it.
import type { AmpWork, WorkMessage } from "@xmppd/bus";
import { decode } from "@xmppd/bus";
import { tryParseJid, type Jid } from "@xmppd/jid";
import { decide, normalType } from "@xmppd/routing";
import type { OfflineMessage, SessionRecord } from "@xmppd/storage";
import { parseElement } from "@xmppd/xml";
import { quietlyStored } from "./amp/receive.ts";
import { drainOwnersOnline } from "./nothing-stored.ts";
import { createDispatcher, nakDelay } from "./consumer.ts";
import type { HandlerTable, WorkContext } from "./context.ts";

interface Storable {
  msg: Watched;
  row: Omit<OfflineMessage, "storedAt">;
  /** stanza_outcomes reason: a plain message or an XEP-0079 one stored by its rules. */
  reason: "offline" | "amp";
}

interface Candidate {
  to: Jid;
  owner: string;
}

type Watched = WorkMessage & { readonly settled: "ack" | "nak" | undefined };

export function createBatchDispatcher(handlers: HandlerTable, ctx: WorkContext): (batch: WorkMessage[]) => Promise<void> {
  const one = createDispatcher(handlers, ctx);
  /** One by one through its handler; false if it was not acknowledged (the batch stops there). */
  const single = async (msg: Watched): Promise<boolean> => {
    await one(msg);
    return msg.settled === "ack";
  };

  async function commit(group: Storable[]): Promise<boolean> {
    if (group.length === 0) return true;
    const items = group.splice(0);
    const started = performance.now();
    let outcomes: string[];
    try {
      outcomes = await ctx.offline.storeMany(items.map((i) => i.row), ctx.config.offline.quota);
    } catch (err) {
      // Nothing of the group is stored: it comes back from its first message, in order.
      const first = items[0]!.msg;
      const delayMs = nakDelay(first.deliveryCount);
      ctx.log.warn({ err, messages: items.length, attempt: first.deliveryCount, delayMs }, "offline batch not stored, will be retried");
      first.nak(delayMs);
      ctx.metrics.workProcessed.inc({ kind: "message", outcome: "retry" }, items.length);
      return false;
    }
    // An owner who came online since the sessions were read may have skipped the flush (its
    // "nothing stored" mark was still there): drained now, before the messages are acknowledged.
    await drainOwnersOnline(ctx, items.filter((_, i) => outcomes[i] === "stored").map((i) => i.row.owner));
    const seconds = (performance.now() - started) / 1000 / items.length;
    for (const [i, item] of items.entries()) {
      if (outcomes[i] !== "stored") continue;
      item.msg.ack();
      ctx.metrics.offlineStored.inc();
      ctx.metrics.stanzaOutcomes.inc({ outcome: "stored", reason: item.reason });
      ctx.metrics.workProcessed.inc({ kind: "message", outcome: "stored" });
      ctx.metrics.workDuration.observe({ kind: "message" }, seconds);
    }
    // Duplicates and full storage: their handler answers them as it always does.
    for (const [i, item] of items.entries()) if (outcomes[i] !== "stored" && !(await single(item.msg))) return false;
    return true;
  }

  return async (batch) => {
    const msgs = batch.map(watch);
    const works = msgs.map((m) => decodeQuietly(m.data));
    const candidates = await candidatesOf(ctx, msgs, works);
    const group: Storable[] = [];
    for (const [i, msg] of msgs.entries()) {
      const c = candidates[i];
      const storable = c && (await storableOf(ctx, msg, works[i] as MessageWork, c));
      if (storable) {
        group.push(storable);
        continue;
      }
      if (!(await commit(group)) || !(await single(msg))) return;
    }
    await commit(group);
  };
}

type MessageWork = Extract<AmpWork, { t: "message" }>;

/**
 * First deliveries of messages for existing accounts that have no available resource (plain
 * chat/normal ones) or none bound at all (XEP-0079 ones): their sessions in one Redis round trip,
 * the accounts' existence read together. Any failure: none, and all go one by one.
 */
async function candidatesOf(ctx: WorkContext, msgs: Watched[], works: (AmpWork | undefined)[]): Promise<(Candidate | undefined)[]> {
  const out = works.map((w, i): Candidate | undefined => {
    if (w?.t !== "message" || msgs[i]!.deliveryCount !== 1 || !ctx.config.offline.enabled) return undefined;
    const to = tryParseJid(w.to);
    return to?.local ? { to, owner: to.bareString() } : undefined;
  });
  const owners = [...new Set(out.flatMap((c) => (c ? [c.owner] : [])))];
  if (owners.length === 0) return out;
  try {
    const sessions = await ctx.sessions.getMany(owners);
    for (const [i, c] of out.entries()) if (c && !away(works[i] as MessageWork, c, sessions.get(c.owner) ?? [])) out[i] = undefined;
    const exists = await accounts(ctx, out);
    return out.map((c) => (c && exists.get(c.owner) ? c : undefined));
  } catch (err) {
    ctx.log.debug({ err }, "batch reads failed; handling one by one");
    return out.map(() => undefined);
  }
}

function away(work: MessageWork, c: Candidate, sessions: SessionRecord[]): boolean {
  if (work.amp) return sessions.length === 0;
  const type = stanzaType(work.xml);
  return (type === "chat" || type === "normal") && decide("message", type, c.to, sessions).action === "offline";
}

async function storableOf(ctx: WorkContext, msg: Watched, work: MessageWork, c: Candidate): Promise<Storable | undefined> {
  if (work.amp) {
    const row = await quietlyStored(ctx, work);
    return row && { msg, row, reason: "amp" };
  }
  return { msg, reason: "offline", row: { key: work.key, owner: c.owner, sender: work.from, stanza: work.xml, orderKey: work.order, expiresAt: null, meta: null } };
}

async function accounts(ctx: WorkContext, candidates: (Candidate | undefined)[]): Promise<Map<string, boolean>> {
  const owners = new Map(candidates.flatMap((c) => (c ? [[c.owner, c.to] as const] : [])));
  const found = await Promise.all([...owners].map(async ([owner, to]) => [owner, await ctx.users.exists(to.domain, to.local!)] as const));
  return new Map(found);
}

function stanzaType(xml: string): string | undefined {
  try {
    return normalType(parseElement(xml).attrs.type as string | undefined);
  } catch {
    return undefined; // its handler reports it
  }
}

function decodeQuietly(data: Uint8Array): AmpWork | undefined {
  try {
    return decode<AmpWork>(data);
  } catch {
    return undefined; // its handler reports it
  }
}

function watch(msg: WorkMessage): Watched {
  let settled: "ack" | "nak" | undefined;
  return {
    get subject() {
      return msg.subject;
    },
    get data() {
      return msg.data;
    },
    get deliveryCount() {
      return msg.deliveryCount;
    },
    get settled() {
      return settled;
    },
    ack: () => ((settled = "ack"), msg.ack()),
    nak: (delayMs) => ((settled = "nak"), msg.nak(delayMs)),
    working: () => msg.working(),
  };
}
