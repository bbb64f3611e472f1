// One lane per recipient account: work for one account runs one item after another, in the order
// the queue handed it over, while different accounts run concurrently (up to amp.concurrency).
// Without this, two messages for one account stored by concurrent handlers could commit in
// either order, and a drain between the two commits would deliver the later one first
// (invariant 2). It orders the work one process takes; how the queue spreads work over several
// worker processes is outside it.
import type { AmpWork } from "@xmppd/bus";
import type { HandlerTable, WorkHandler } from "./context.ts";

export type Lanes = <T>(key: string, run: () => Promise<T>) => Promise<T>;

export function createLanes(): Lanes {
  const tails = new Map<string, Promise<void>>();
  return (key, run) => {
    const result = (tails.get(key) ?? Promise.resolve()).then(run);
    const tail = result.then(() => {}, () => {});
    tails.set(key, tail);
    // The last item of a lane removes it, so idle accounts cost nothing.
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}

/** The recipient's bare JID: `to` and `jid` are canonical (the router prepared them). */
export function ownerOf(work: AmpWork): string {
  const jid = work.t === "message" ? work.to : work.jid;
  const slash = jid.indexOf("/");
  return slash < 0 ? jid : jid.slice(0, slash);
}

/** The same handlers, each run in the lane of the work's recipient. */
export function perOwner(handlers: HandlerTable, lanes: Lanes = createLanes()): HandlerTable {
  const wrap = <W extends AmpWork>(handler: WorkHandler<W>): WorkHandler<W> =>
    (work, ctx, meta) => lanes(ownerOf(work), () => handler(work, ctx, meta));
  return { message: wrap(handlers.message), flush: wrap(handlers.flush) };
}
