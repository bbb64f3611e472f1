// A partition's batch of work (WorkQueue.consumeBatches), in order. Chat and normal messages for
// accounts with no available resource (the offline burst) are stored together: the batch's
// sessions in one Redis round trip, their rows in one transaction of one statement, then
// acknowledged. Everything else goes through its handler one by one, after the rows before it
// are committed, so an account's work keeps its order (invariant 2). A message stored so is not
// drained here: the account has no resource, and the flush its login queues comes after it.
import type { AmpWork, WorkMessage } from "@xmppd/bus";
import { decode } from "@xmppd/bus";
import { tryParseJid, type Jid } from "@xmppd/jid";
import { decide, normalType } from "@xmppd/routing";
import type { OfflineMessage, SessionRecord } from "@xmppd/storage";
import { parseElement } from "@xmppd/xml";
import { createDispatcher, nakDelay } from "./consumer.ts";
import type { HandlerTable, WorkContext } from "./context.ts";

interface Storable {
  msg: Watched;
  row: Omit<OfflineMessage, "storedAt">;
  to: Jid;
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
      const exists = await accounts(ctx, items);
      outcomes = new Array<string>(items.length).fill("no-account");
      const kept = items.flatMap((item, i) => (exists.get(item.row.owner) ? [i] : []));
      const stored = kept.length === 0 ? [] : await ctx.offline.storeMany(kept.map((i) => items[i]!.row), ctx.config.offline.quota);
      kept.forEach((i, j) => (outcomes[i] = stored[j]!));
    } catch (err) {
      // Nothing of the group is stored: it comes back from its first message, in order.
      const first = items[0]!.msg;
      const delayMs = nakDelay(first.deliveryCount);
      ctx.log.warn({ err, messages: items.length, attempt: first.deliveryCount, delayMs }, "offline batch not stored, will be retried");
      first.nak(delayMs);
      return false;
    }
    const seconds = (performance.now() - started) / 1000 / items.length;
    for (const [i, item] of items.entries()) {
      if (outcomes[i] !== "stored") continue;
      item.msg.ack();
      ctx.metrics.offlineStored.inc();
      ctx.metrics.stanzaOutcomes.inc({ outcome: "stored", reason: "offline" });
      ctx.metrics.workProcessed.inc({ kind: "message", outcome: "stored" });
      ctx.metrics.workDuration.observe({ kind: "message" }, seconds);
    }
    // Duplicates, no account, full storage: their handler answers them as it always does.
    for (const [i, item] of items.entries()) if (outcomes[i] !== "stored" && !(await single(item.msg))) return false;
    return true;
  }

  return async (batch) => {
    const msgs = batch.map(watch);
    const works = msgs.map((m) => decodeQuietly(m.data));
    const sessions = await sessionsOf(ctx, works);
    const group: Storable[] = [];
    for (const [i, msg] of msgs.entries()) {
      const storable = sessions && storableOf(ctx, msg, works[i], sessions);
      if (storable) {
        group.push(storable);
        continue;
      }
      if (!(await commit(group)) || !(await single(msg))) return;
    }
    await commit(group);
  };
}

/** The batch's message recipients' sessions in one round trip; null (one by one) if Redis fails. */
async function sessionsOf(ctx: WorkContext, works: (AmpWork | undefined)[]): Promise<Map<string, SessionRecord[]> | null> {
  const owners = new Set<string>();
  for (const w of works) if (w?.t === "message" && !w.amp) owners.add(tryParseJid(w.to)?.bareString() ?? "");
  owners.delete("");
  if (owners.size === 0) return null;
  try {
    return await ctx.sessions.getMany([...owners]);
  } catch (err) {
    ctx.log.debug({ err }, "batch session read failed; handling one by one");
    return null;
  }
}

/** A first delivery of a chat/normal message for an account with no available resource. */
function storableOf(ctx: WorkContext, msg: Watched, work: AmpWork | undefined, sessions: Map<string, SessionRecord[]>): Storable | undefined {
  if (work?.t !== "message" || work.amp || msg.deliveryCount !== 1 || !ctx.config.offline.enabled) return undefined;
  const to = tryParseJid(work.to);
  if (!to?.local) return undefined;
  const type = stanzaType(work.xml);
  if (type !== "chat" && type !== "normal") return undefined;
  const owner = to.bareString();
  if (decide("message", type, to, sessions.get(owner) ?? []).action !== "offline") return undefined;
  return { msg, to, row: { key: work.key, owner, sender: work.from, stanza: work.xml, orderKey: work.order, expiresAt: null, meta: null } };
}

async function accounts(ctx: WorkContext, items: Storable[]): Promise<Map<string, boolean>> {
  const owners = new Map(items.map((i) => [i.row.owner, i.to]));
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
