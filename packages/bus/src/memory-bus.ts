// The in-process bus for the one-process topology and unit tests. Same contract as the NATS
// adapter: delivery is asynchronous (never inside publish), in publish order, with NATS subject
// wildcards and queue groups (each group member in turn).
import type { Bus, Handler, SubscribeOptions, Subscription, WorkQueue, WorkQueueSpec } from "./types.ts";
import { PayloadTooLargeError, BusError, reportToStderr, type HandlerErrorReporter } from "./errors.ts";
import { compilePattern, matches, type SubjectPattern } from "./subject-match.ts";
import { MemoryWorkQueues } from "./memory-work-queue.ts";

export interface MemoryBusOptions {
  /** Mirrors NATS `max_payload` so oversize payloads fail here too. Default 1 MiB. */
  maxPayload?: number;
  onHandlerError?: HandlerErrorReporter;
}

interface Sub {
  readonly pattern: SubjectPattern;
  readonly handler: Handler;
  readonly queue: string | undefined;
  active: boolean;
}

/** The subscriptions a subject reaches: every plain one, and one member per queue group. */
interface Route {
  readonly plain: Sub[];
  readonly groups: { members: Sub[]; next: number }[];
}

interface Pending {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly targets: Sub[];
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const ROUTE_CACHE_LIMIT = 10_000;

export function createMemoryBus(opts: MemoryBusOptions = {}): Bus {
  const limit = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const report = opts.onHandlerError ?? reportToStderr;
  const subs = new Set<Sub>();
  const routes = new Map<string, Route>();
  let queue: Pending[] = [];
  let scheduled = false;
  let closed = false;

  function route(subject: string): Route {
    let r = routes.get(subject);
    if (r) return r;
    const plain: Sub[] = [];
    const byGroup = new Map<string, Sub[]>();
    for (const s of subs) {
      if (!matches(s.pattern, subject)) continue;
      if (s.queue === undefined) plain.push(s);
      else byGroup.set(s.queue, [...(byGroup.get(s.queue) ?? []), s]);
    }
    r = { plain, groups: [...byGroup.values()].map((members) => ({ members, next: 0 })) };
    if (routes.size >= ROUTE_CACHE_LIMIT) routes.clear();
    routes.set(subject, r);
    return r;
  }

  function drain(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    for (const p of batch) {
      for (const s of p.targets) {
        if (!s.active) continue;
        try {
          s.handler(p.data, p.subject);
        } catch (err) {
          report(err, p.subject);
        }
      }
    }
  }

  const bus: Bus = {
    publish(subject, data) {
      if (closed) throw new BusError("publish on a closed bus");
      if (data.length > limit) throw new PayloadTooLargeError(subject, data.length, limit);
      const r = route(subject);
      if (r.plain.length === 0 && r.groups.length === 0) return;
      const targets = r.groups.length === 0 ? r.plain : [...r.plain];
      for (const g of r.groups) targets.push(g.members[g.next++ % g.members.length]!);
      queue.push({ subject, data, targets });
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(drain);
      }
    },
    subscribe(subject, handler, sopts?: SubscribeOptions): Subscription {
      const sub: Sub = { pattern: compilePattern(subject), handler, queue: sopts?.queue, active: true };
      subs.add(sub);
      routes.clear();
      return {
        unsubscribe() {
          if (!sub.active) return;
          sub.active = false;
          subs.delete(sub);
          routes.clear();
        },
      };
    },
    flush: () => Promise.resolve(),
    workQueue: (spec: WorkQueueSpec): Promise<WorkQueue> => Promise.resolve(queues.get(spec)),
    onClosed() {
      // The in-process bus never loses its connection.
    },
    maxPayload: () => limit,
    async close() {
      closed = true;
      for (const s of subs) s.active = false;
      subs.clear();
      routes.clear();
      await queues.close();
    },
  };
  const queues = new MemoryWorkQueues(limit);
  return bus;
}
