// XEP-0013 Flexible Offline Message Retrieval, answered here because the worker owns the offline
// store. The router checked the request (the requester's own account, well formed) and marked
// the session, so no flood follows its initial presence (§2.2). Messages are never removed for
// having been viewed or fetched (§2.5), only by remove and purge. Expired messages (XEP-0079
// expire-at, DP-02) are expired first, so none is ever listed, counted or sent.
import type { AmpWork } from "@xmppd/bus";
import { tryParseJid } from "@xmppd/jid";
import { flexibleOffline } from "@xmppd/modules";
import { errorReply } from "@xmppd/stanza";
import type { OfflineMessage } from "@xmppd/storage";
import { parseElement, type Element } from "@xmppd/xml";
import { PoisonWorkError } from "../context.ts";
import type { Outcome, WorkContext } from "../context.ts";
import { withDelay } from "../delay.ts";
import { withoutBlocked } from "../blocked.ts";
import { deliverTo, findSession, type Target } from "../delivery.ts";
import { releaseQueued } from "../queued.ts";
import { isDue } from "../amp/flush-expiry.ts";
import { expireOwner } from "../amp/expiry.ts";

type OfflineWork = Extract<AmpWork, { t: "offline" }>;
type Row = OfflineMessage & { id: string };
type FlexRequest = flexibleOffline.FlexRequest;

export async function handleOffline(work: OfflineWork, ctx: WorkContext): Promise<Outcome> {
  const jid = tryParseJid(work.jid);
  if (!jid || jid.isBare()) throw new PoisonWorkError(`offline request from a JID without resource: ${work.jid}`);
  const iq = parseIq(work.xml);
  const owner = jid.bareString();
  const session = await findSession(ctx, owner, work.jid);
  // The requester is gone: nobody to answer, and nothing is changed on its behalf.
  if (!session || session.conn !== work.conn || session.gateway !== work.gw) return "stale";
  const target: Target = { gateway: work.gw, conn: work.conn };
  const request = flexibleOffline.parseFlexRequest(iq);
  if (!request) return answer(ctx, target, errorReply(iq, "bad-request"), "invalid");
  await expireOwner(ctx, owner);
  const rows = await withoutBlocked(ctx, owner, await ctx.offline.list(owner));
  const live = rows.filter((row) => !isDue(row));
  const reply = await carryOut(ctx, target, iq, request, owner, rows, live);
  return answer(ctx, target, reply, reply.attrs.type === "error" ? "item-not-found" : request.op);
}

async function carryOut(ctx: WorkContext, target: Target, iq: Element, request: FlexRequest, owner: string, rows: Row[], live: Row[]): Promise<Element> {
  const { flexResult } = flexibleOffline;
  switch (request.op) {
    case "info":
      return flexResult(iq, request, { count: live.length });
    case "items":
      return flexResult(iq, request, { owner, headers: live.map((row) => ({ node: row.id, sender: row.sender })) });
    case "fetch":
      await send(ctx, target, owner, live);
      return flexResult(iq, request);
    case "purge":
      await remove(ctx, owner, rows);
      return flexResult(iq, request);
    case "view":
    case "remove": {
      // §2.4, §2.5: a node that does not exist (never did, removed, or expired) is item-not-found,
      // and then nothing is sent or removed.
      const byNode = new Map(live.map((row) => [row.id, row]));
      const chosen = request.nodes.map((node) => byNode.get(node));
      if (chosen.some((row) => row === undefined)) return errorReply(iq, "item-not-found")!;
      const picked = (chosen as Row[]).sort((a, b) => live.indexOf(a) - live.indexOf(b));
      if (request.op === "view") await send(ctx, target, owner, picked);
      else await remove(ctx, owner, picked);
      return flexResult(iq, request);
    }
  }
}

/** §2.4, §2.6: each message with its node (and XEP-0203 <delay/>), oldest first, to the requester only. */
async function send(ctx: WorkContext, target: Target, owner: string, rows: Row[]): Promise<void> {
  const domain = tryParseJid(owner)?.domain ?? owner;
  for (const row of rows) await deliverTo(ctx, target, flexibleOffline.markRetrieved(withDelay(row.stanza, domain, row.storedAt), row.id).toString());
}

async function remove(ctx: WorkContext, owner: string, rows: Row[]): Promise<void> {
  const n = await ctx.offline.delete(rows.map((row) => row.id));
  // Every stored row is counted as queued for its owner (queued.ts); a removed one is released.
  await releaseQueued(ctx, owner, n);
}

async function answer(ctx: WorkContext, target: Target, reply: Element | null, outcome: Outcome): Promise<Outcome> {
  if (reply) await deliverTo(ctx, target, reply.toString());
  await ctx.bus.flush();
  return outcome;
}

function parseIq(text: string): Element {
  try {
    return parseElement(text);
  } catch (err) {
    throw new PoisonWorkError("offline request is not processable", { cause: err });
  }
}
