// The AMP work queue as JetStream sees it: the stream `<CLUSTER>_AMP` and its durable consumers,
// one per ordered partition (`amp-workers-p<n>`), as packages/bus/src/amp-queue.ts defines them.
import type { WorkQueueSpec } from "@xmppd/bus";
import type { ConsumerInfo, NatsConnection, NatsError } from "nats";

export interface ConsumerStatus {
  name: string;
  /** Not yet delivered to any worker. */
  pending: number;
  /** Delivered to a worker and not acknowledged yet. */
  ackPending: number;
  /** Messages delivered more than once (after a worker crashed or gave one back). */
  redelivered: number;
  /** Pull requests of idle workers waiting for work. */
  waiting: number;
}

export interface QueueStatus extends Omit<ConsumerStatus, "name"> {
  stream: string;
  /** False until the first AMP worker (or router publish) has created the stream. */
  exists: boolean;
  /** Messages stored in the stream (work-queue retention: not yet acknowledged). */
  messages: number;
  consumers: ConsumerStatus[];
}

// JetStream API errors: 10059 stream not found, 10014 consumer not found.
const NOT_FOUND = new Set([10059, 10014]);

function isNotFound(err: unknown): boolean {
  const code = (err as NatsError).api_error?.err_code;
  return (code !== undefined && NOT_FOUND.has(code)) || /not found/i.test(String((err as Error).message));
}

export async function queueStatus(nc: NatsConnection, spec: WorkQueueSpec): Promise<QueueStatus> {
  const names = spec.partitions?.length ? spec.partitions.map((p) => p.durable) : [spec.durable];
  const status: QueueStatus = { stream: spec.stream, exists: false, messages: 0, pending: 0, ackPending: 0, redelivered: 0, waiting: 0, consumers: [] };
  const jsm = await nc.jetstreamManager();
  try {
    status.messages = (await jsm.streams.info(spec.stream)).state.messages;
    status.exists = true;
  } catch (err) {
    if (isNotFound(err)) return status;
    throw err;
  }
  const infos = await Promise.all(names.map((name) => jsm.consumers.info(spec.stream, name).catch((err: unknown): ConsumerInfo | null => {
    if (isNotFound(err)) return null;
    throw err;
  })));
  for (const info of infos) {
    if (info === null) continue;
    const c = { name: info.name, pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered, waiting: info.num_waiting };
    status.consumers.push(c);
    status.pending += c.pending;
    status.ackPending += c.ackPending;
    status.redelivered += c.redelivered;
    status.waiting += c.waiting;
  }
  return status;
}
