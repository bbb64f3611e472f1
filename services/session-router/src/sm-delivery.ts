// XEP-0198 on the router's delivery path (docs/stream-management.md). A stanza for a resumable
// session is numbered and kept in the SmStore (one scripted round trip) before it is published,
// to wherever the store says the session is attached now; while it is detached, it waits there.
// The envelope that caused it is acknowledged to its gateway only after these appends and the
// batched handled counts are stored (flush(), called by the ack batcher).
import { randomBytes } from "node:crypto";
import { isTransient } from "@xmppd/runtime";
import type { SessionRecord, SmStore } from "@xmppd/storage";
import { sendToGateway, type RouterContext } from "./context.ts";
import { undeliverable } from "./sm-undeliverable.ts";

/** Retries of an append while the store is away: 100 ms doubling to 2 s, for at most 30 s. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;
const RETRY_BUDGET_MS = 30_000;

export type SmTarget = Pick<SessionRecord, "gateway" | "conn"> & { sm: string };

export interface SmRouter {
  readonly store: SmStore;
  /** Numbers, keeps and publishes a stanza for a resumable session. */
  deliver(target: SmTarget, xml: string): void;
  /** A client stanza of a resumable session was handled: its inbound count (unwrapped). */
  handled(id: string, h: number): void;
  /** Resolves when every append so far is stored and published and the handled counts are stored. */
  flush(): Promise<void>;
}

export function createSmRouter(store: SmStore, ctx: () => RouterContext): SmRouter {
  const pending = new Set<Promise<void>>();
  let counts = new Map<string, number>();

  /**
   * The envelope behind a delivery is acknowledged once it is tracked to its end (flush), so a
   * failed append must not just be logged: it is retried while the store is away for a moment
   * (Redis restarting), and what still fails takes the undeliverable path (stored or bounced).
   */
  function track(target: SmTarget, xml: string): void {
    const p = deliverRetrying(target, xml)
      .catch(async (err: unknown) => {
        ctx().log.warn({ err, sm: target.sm }, "XEP-0198 delivery failed; storing or bouncing the stanza");
        await undeliverable(ctx(), `failed:${target.sm}:${randomBytes(6).toString("hex")}`, [{ seq: 0, xml }]);
      })
      .catch((err: unknown) => ctx().log.error({ err, sm: target.sm }, "XEP-0198 delivery failed and could not be stored or bounced"))
      .finally(() => pending.delete(p));
    pending.add(p);
  }

  async function deliverRetrying(target: SmTarget, xml: string): Promise<void> {
    for (let waitMs = RETRY_FIRST_MS, spent = 0; ; spent += waitMs, waitMs = Math.min(waitMs * 2, RETRY_MAX_MS)) {
      try {
        return await deliver(target, xml);
      } catch (err) {
        if (!isTransient(err) || spent >= RETRY_BUDGET_MS) throw err;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  async function deliver(target: SmTarget, xml: string): Promise<void> {
    const c = ctx();
    const { outboundStanzas, outboundBytes } = c.config.gateway.limits;
    const r = await store.append(target.sm, xml, { maxStanzas: outboundStanzas, maxBytes: outboundBytes });
    if (r.ok) {
      if (r.to) sendToGateway(c, r.to.gateway, { t: "deliver", conn: r.to.conn, xml, sm: r.seq });
      return;
    }
    c.metrics.sm(r.reason === "full" ? "queue_full" : "gone");
    // "gone": the session ended and its record is on its way out; the gateway (if the stream is
    // still there) decides.
    if (r.reason === "gone") return sendToGateway(c, target.gateway, { t: "deliver", conn: target.conn, xml });
    // "full": docs/architecture.md "Limits": the unacked queue holds 1000 stanzas / 2 MiB, then
    // resource-constraint and close. The store holds exactly the bound, so the gateway's own
    // count never passes it: the stream is closed from here (issue 13), and stays resumable.
    // Its messages take the undeliverable path (stored offline or bounced) instead of being lost.
    sendToGateway(c, target.gateway, { t: "close", conn: target.conn, condition: "resource-constraint", text: "too many unacknowledged stanzas" });
    await undeliverable(c, `full:${target.sm}:${randomBytes(6).toString("hex")}`, [{ seq: 0, xml }]);
  }

  return {
    store,
    deliver: (target, xml) => track(target, xml),
    handled(id, h) {
      if (h > (counts.get(id) ?? 0)) counts.set(id, h);
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
      if (counts.size === 0) return;
      const batch = counts;
      counts = new Map();
      // Never holds the acknowledgements back: a count stored late only means that a resuming
      // client may send a stanza again (XEP-0198 allows it), a stalled ack would stall the stream.
      await store.handled(batch).catch((err: unknown) => ctx().log.warn({ err }, "XEP-0198 handled counts not stored"));
    },
  };
}
