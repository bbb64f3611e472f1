// The durable work queue on JetStream: a WorkQueue-retention stream over `${subjectPrefix}.>`
// and one durable pull consumer shared by every worker, or one per ordered partition. Creation
// is idempotent so any number of processes may open the queue at the same time.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, nanos } from "nats";
import type { JetStreamClient, JetStreamManager, NatsConnection, NatsError } from "nats";
import type { BatchConsumeOptions, ConsumeOptions, Consumer, WorkMessage, WorkQueue, WorkQueueSpec } from "./types.ts";
import { BusError, PayloadTooLargeError, WorkQueueFullError, type HandlerErrorReporter } from "./errors.ts";
import { DEFAULT_ACK_WAIT_MS, DUPLICATE_WINDOW_MS, MAX_ACK_PENDING, checkAckWait, checkConcurrency } from "./work-defaults.ts";
import { PullLoop } from "./nats-pull-loop.ts";
import { PartitionBatchLoop, claimNames, oneByOne, type BatchHandler, type HandedBack } from "./nats-batch-loop.ts";
import { CLAIM_RENEW_MS, CLAIM_TICK_MS, CLAIM_TTL_MS, PartitionClaims } from "./partition-claims.ts";
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
  return new NatsWorkQueue(nc, jsm, spec, host, report);
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
  // A partition is pulled by the one process that claims it, in batches of up to this many.
  return spec.partitions.map((p) => ({ durable: p.durable, filter: p.filter, maxAckPending: PARTITION_BATCH }));
}

async function ensureConsumers(jsm: JetStreamManager, spec: WorkQueueSpec): Promise<void> {
  for (const c of consumersOf(spec)) await ensureConsumer(jsm, spec.stream, c);
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, c: ReturnType<typeof consumersOf>[number]): Promise<void> {
  // An existing consumer keeps its ack_wait, which belongs to whoever consumes (consume()); a
  // partition's from before batches (max_ack_pending 1) is raised.
  const existing = await consumerInfo(jsm, stream, c.durable);
  if (existing) {
    if (existing.config.max_ack_pending !== c.maxAckPending) await jsm.consumers.update(stream, c.durable, { max_ack_pending: c.maxAckPending });
    return;
  }
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

async function consumerInfo(jsm: JetStreamManager, stream: string, durable: string) {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (apiCode(err) === 10014 || said(err, /consumer not found/i)) return undefined;
    throw err;
  }
}

/** Pause before asking again for a claimed partition's consumer. */
const CONSUMER_RETRY_MS = 500;

/** Messages of a partition its holder may have unacknowledged at once (its consumer's max_ack_pending). */
export const PARTITION_BATCH = 256;

class NatsWorkQueue implements WorkQueue {
  private readonly js: JetStreamClient;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly spec: WorkQueueSpec,
    private readonly host: Host,
    private readonly report: HandlerErrorReporter,
  ) {
    this.js = nc.jetstream();
  }

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
    if (this.spec.partitions?.length) return this.consumePartitions(oneByOne(handler), opts);
    const concurrency = checkConcurrency(opts?.concurrency);
    const ackWait = checkAckWait(opts?.ackWaitMs);
    await this.setAckWait(this.spec.durable, ackWait);
    const loop = new PullLoop(await this.js.consumers.get(this.spec.stream, this.spec.durable), concurrency, handler, this.report);
    return { stop: () => loop.stop() };
  }

  async consumeBatches(handler: BatchHandler, opts?: BatchConsumeOptions): Promise<Consumer> {
    if (this.spec.partitions?.length) return this.consumePartitions(handler, opts);
    // Unordered work: batches of one, handled concurrently.
    return this.consume((m) => handler([m]), opts);
  }

  private async consumePartitions(handler: BatchHandler, opts?: BatchConsumeOptions): Promise<Consumer> {
    const ackWaitMs = checkAckWait(opts?.ackWaitMs);
    const partitions = consumersOf(this.spec);
    const maxBatch = Math.min(opts?.maxBatch ?? PARTITION_BATCH, PARTITION_BATCH);
    await Promise.all(partitions.map((c) => this.setAckWait(c.durable, ackWaitMs)));
    const names = claimNames(this.spec);
    const kv = await this.js.views.kv(names.bucket, { ttl: CLAIM_TTL_MS, history: 1 });
    const claims = new PartitionClaims(this.nc, kv, { count: partitions.length, membersSubject: names.members, ttlMs: CLAIM_TTL_MS, tickMs: CLAIM_TICK_MS, renewMs: CLAIM_RENEW_MS }, this.report);
    const loops = new Map<number, PartitionBatchLoop>();
    const starting = new Map<number, Promise<void>>();
    const wanted = new Set<number>();
    const hooks = {
      take: (p: number, clean: boolean, handedBack?: HandedBack) => {
        wanted.add(p);
        const { durable } = partitions[p]!;
        const pending = async () => (await this.jsm.consumers.info(this.spec.stream, durable)).num_ack_pending;
        // The JetStream API may not answer (NATS restarting): keep trying while the claim is ours.
        const start = async (): Promise<void> => {
          while (wanted.has(p)) {
            try {
              const consumer = await this.js.consumers.get(this.spec.stream, durable);
              if (wanted.has(p)) loops.set(p, new PartitionBatchLoop(consumer, handler, { maxBatch, ackWaitMs, pending, settle: !clean, ...(handedBack ? { handedBack } : {}) }, this.report));
              return;
            } catch (err) {
              this.report(err, `partition ${p} consumer`);
              await new Promise((resolve) => setTimeout(resolve, CONSUMER_RETRY_MS));
            }
          }
        };
        starting.set(p, start());
      },
      drop: async (p: number) => {
        wanted.delete(p);
        await starting.get(p);
        starting.delete(p);
        const loop = loops.get(p);
        loops.delete(p);
        return loop?.handOver();
      },
    };
    claims.start(hooks);
    return { stop: () => claims.stop(hooks) };
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
