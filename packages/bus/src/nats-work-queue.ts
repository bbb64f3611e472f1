// The durable work queue on JetStream: a WorkQueue-retention stream over `${subjectPrefix}.>`
// and one durable pull consumer shared by every worker, or one per ordered partition. Creation
// is idempotent so any number of processes may open the queue at the same time.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, nanos } from "nats";
import type { JetStreamClient, JetStreamManager, NatsConnection, NatsError } from "nats";
import type { ConsumeOptions, Consumer, WorkMessage, WorkQueue, WorkQueueSpec } from "./types.ts";
import { BusError, PayloadTooLargeError, WorkQueueFullError, type HandlerErrorReporter } from "./errors.ts";
import { DEFAULT_ACK_WAIT_MS, DUPLICATE_WINDOW_MS, MAX_ACK_PENDING, checkAckWait, checkConcurrency } from "./work-defaults.ts";
import { PartitionLoop, PullLoop } from "./nats-pull-loop.ts";
import { safeLimit } from "./work-bounds.ts";

interface Host {
  maxPayload(): number;
}

export async function openNatsWorkQueue(
  nc: NatsConnection,
  jsm: JetStreamManager,
  spec: WorkQueueSpec,
  host: Host,
  report: HandlerErrorReporter,
): Promise<WorkQueue> {
  await ensureStream(jsm, spec);
  await ensureConsumers(jsm, spec);
  return new NatsWorkQueue(nc.jetstream(), jsm, spec, host, report);
}

function apiCode(err: unknown): number | undefined {
  return (err as NatsError)?.api_error?.err_code;
}

function said(err: unknown, pattern: RegExp): boolean {
  return pattern.test(String((err as Error)?.message ?? err));
}

/** nats-server 2.9+ answers a publish refused at max_msgs / max_bytes (discard new) this way. */
function fullBound(err: unknown): "messages" | "bytes" | undefined {
  const api = (err as NatsError)?.api_error;
  if (api?.err_code !== 10077) return undefined;
  if (/maximum messages exceeded/i.test(api.description)) return "messages";
  if (/maximum bytes exceeded/i.test(api.description)) return "bytes";
  return undefined;
}

async function ensureStream(jsm: JetStreamManager, spec: WorkQueueSpec): Promise<void> {
  const cfg = {
    name: spec.stream,
    subjects: [`${spec.subjectPrefix}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    // -1: unbounded. At the bound "new" refuses the publish; "old" (the default) would delete
    // the oldest stored work, which was already accepted (docs/bounds.md).
    max_msgs: spec.maxMessages ?? -1,
    max_bytes: spec.maxBytes ?? -1,
    discard: DiscardPolicy.New,
  };
  try {
    await jsm.streams.add(cfg);
  } catch (err) {
    // 10058: the name is taken with another configuration (older settings): update it.
    if (apiCode(err) !== 10058 && !said(err, /already in use/i)) throw err;
    const info = await jsm.streams.info(spec.stream);
    await jsm.streams.update(spec.stream, {
      ...cfg,
      max_msgs: safeLimit(info.config.max_msgs, cfg.max_msgs, info.state.messages),
      max_bytes: safeLimit(info.config.max_bytes, cfg.max_bytes, info.state.bytes),
    });
  }
}

/** The durable consumers of a queue: one shared one, or one per ordered partition. */
function consumersOf(spec: WorkQueueSpec): { durable: string; filter?: string; maxAckPending: number }[] {
  if (!spec.partitions?.length) return [{ durable: spec.durable, maxAckPending: MAX_ACK_PENDING }];
  // One message in flight per partition across all workers: the partition's order is kept.
  return spec.partitions.map((p) => ({ durable: p.durable, filter: p.filter, maxAckPending: 1 }));
}

async function ensureConsumers(jsm: JetStreamManager, spec: WorkQueueSpec): Promise<void> {
  for (const c of consumersOf(spec)) await ensureConsumer(jsm, spec.stream, c);
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, c: ReturnType<typeof consumersOf>[number]): Promise<void> {
  // An existing consumer is kept as is: its ack_wait belongs to whoever consumes (consume()).
  if (await consumerExists(jsm, stream, c.durable)) return;
  try {
    await jsm.consumers.add(stream, {
      durable_name: c.durable,
      ...(c.filter ? { filter_subject: c.filter } : {}),
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(DEFAULT_ACK_WAIT_MS),
      max_ack_pending: c.maxAckPending,
      deliver_policy: DeliverPolicy.All,
    });
  } catch (err) {
    // Another process created it between our look and our add (10148: consumer already exists).
    if (apiCode(err) === 10148 || said(err, /already (exists|in use)/i)) return;
    throw err;
  }
}

async function consumerExists(jsm: JetStreamManager, stream: string, durable: string): Promise<boolean> {
  try {
    await jsm.consumers.info(stream, durable);
    return true;
  } catch (err) {
    if (apiCode(err) === 10014 || said(err, /consumer not found/i)) return false;
    throw err;
  }
}

class NatsWorkQueue implements WorkQueue {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly spec: WorkQueueSpec,
    private readonly host: Host,
    private readonly report: HandlerErrorReporter,
  ) {}

  async publish(subject: string, data: Uint8Array, opts?: { msgId?: string }): Promise<void> {
    const limit = this.host.maxPayload();
    if (data.length > limit) throw new PayloadTooLargeError(subject, data.length, limit);
    try {
      await this.js.publish(subject, data, opts?.msgId === undefined ? undefined : { msgID: opts.msgId });
    } catch (err) {
      // Before the 503 test: a full stream answers code 503 too (err_code 10077, "stream store
      // failed", with the limit in the description), so this one must not be read as "no stream".
      const full = fullBound(err);
      if (full) throw new WorkQueueFullError(subject, full, { cause: err });
      if (said(err, /503|no responders/i)) {
        throw new BusError(`no work queue stream covers subject ${subject}`, { cause: err });
      }
      throw err;
    }
  }

  async consume(handler: (msg: WorkMessage) => Promise<void>, opts?: ConsumeOptions): Promise<Consumer> {
    const concurrency = checkConcurrency(opts?.concurrency);
    const ackWait = checkAckWait(opts?.ackWaitMs);
    const partitioned = !!this.spec.partitions?.length;
    const loops = await Promise.all(consumersOf(this.spec).map(async (c) => {
      await this.setAckWait(c.durable, ackWait);
      const consumer = await this.js.consumers.get(this.spec.stream, c.durable);
      // A partition has one message in flight at a time (max_ack_pending 1).
      return partitioned ? new PartitionLoop(consumer, handler, this.report) : new PullLoop(consumer, concurrency, handler, this.report);
    }));
    return { stop: async () => void (await Promise.all(loops.map((l) => l.stop()))) };
  }

  /** ack_wait is a property of the shared durable consumer: the latest consume() sets it. */
  private async setAckWait(durable: string, ms: number): Promise<void> {
    const info = await this.jsm.consumers.info(this.spec.stream, durable);
    if (info.config.ack_wait === nanos(ms)) return;
    await this.jsm.consumers.update(this.spec.stream, durable, { ack_wait: nanos(ms) });
  }

  async pending(): Promise<number> {
    const infos = await Promise.all(consumersOf(this.spec).map((c) => this.jsm.consumers.info(this.spec.stream, c.durable)));
    return infos.reduce((sum, info) => sum + info.num_pending + info.num_ack_pending, 0);
  }
}
