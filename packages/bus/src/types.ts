// The bus contract. Two adapters implement it (NATS/JetStream and in-process) and both
// pass the one contract suite in contract.ts.

export interface Subscription {
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group (NATS queue semantics). */
  queue?: string;
}

export type Handler = (data: Uint8Array, subject: string) => void;

export interface WorkMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** 1 on first delivery; larger when redelivered after a crash or a nak. */
  readonly deliveryCount: number;
  ack(): void;
  /** Return the message to the queue, to be redelivered after delayMs (default: at once). */
  nak(delayMs?: number): void;
  /** Extend the ack deadline while still working on it. */
  working(): void;
}

export interface ConsumeOptions {
  /** Messages handled concurrently by this consumer instance (with partitions: one per partition). */
  concurrency?: number;
  /** Unacked messages are redelivered after this long (JetStream ack_wait). */
  ackWaitMs?: number;
}

export interface BatchConsumeOptions extends ConsumeOptions {
  /** Most messages handed over at once (a partition's batch is also bounded by the queue). */
  maxBatch?: number;
}

export interface Consumer {
  /** Stop fetching; waits for in-flight handlers to finish (or for their nak). */
  stop(): Promise<void>;
}

/** A durable queue: a message is stored before publish() resolves, and each message goes to one consumer. */
export interface WorkQueue {
  /** Resolves once the message is durably stored. msgId de-duplicates republishes. */
  publish(subject: string, data: Uint8Array, opts?: { msgId?: string }): Promise<void>;
  /** All consumers of one queue share one durable consumer: any number of workers may consume. */
  consume(handler: (msg: WorkMessage) => Promise<void>, opts?: ConsumeOptions): Promise<Consumer>;
  /**
   * Like consume(), handing over whatever of a partition has arrived as one batch, in order
   * (one partition per batch). The handler acks each message; the first one it leaves
   * unacknowledged (or nak's) comes back, with every later one of the batch, after its delay.
   */
  consumeBatches(handler: (batch: WorkMessage[]) => Promise<void>, opts?: BatchConsumeOptions): Promise<Consumer>;
  /** Messages stored and not yet acknowledged. */
  pending(): Promise<number>;
}

export interface Bus {
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, handler: Handler, opts?: SubscribeOptions): Subscription;
  /** Resolves when every earlier publish has reached the server (a no-op in process). */
  flush(): Promise<void>;
  /** A durable work queue over subjects `${subjectPrefix}.>` (JetStream stream `stream`). */
  workQueue(spec: WorkQueueSpec): Promise<WorkQueue>;
  /** Called when the connection to the bus is lost for good (never for the in-process bus). */
  onClosed(handler: (err?: Error) => void): void;
  /**
   * Called each time the connection to the bus is back after it was lost (a NATS restart). Core
   * publishes of either side may have been lost meanwhile: whoever keeps unacknowledged work
   * sends it again (docs/acknowledgements.md). Absent for the in-process bus, which is never lost.
   */
  onReconnected?(handler: () => void): void;
  /**
   * Largest payload publish() accepts (NATS `max_payload`); larger ones throw PayloadTooLargeError.
   * A stanza plus its envelope must fit (docs/architecture.md "Limits").
   */
  maxPayload?(): number;
  close(): Promise<void>;
}

export interface WorkQueueSpec {
  /** JetStream stream name, e.g. "XMPP_AMP". */
  stream: string;
  /** Subjects covered: `${subjectPrefix}.>`. */
  subjectPrefix: string;
  /** Durable consumer name shared by all workers (without partitions). */
  durable: string;
  /**
   * Ordered partitions: each has its own durable consumer over `filter`, and one consumer at a
   * time takes its messages, in publish order, however many workers consume (the NATS adapter
   * claims partitions in a KV bucket and shares them among the workers). A message belongs to
   * the partition whose filter its subject matches. Without partitions, messages are handled
   * concurrently in any order.
   */
  partitions?: readonly WorkPartition[];
  /**
   * Bound of the stored (unacknowledged) messages: a publish beyond it fails with
   * WorkQueueFullError and nothing stored is discarded (JetStream max_msgs, discard "new").
   * Absent: unbounded.
   */
  maxMessages?: number;
  /**
   * The same in bytes (JetStream max_bytes, which also counts subject, headers and ~20 bytes of
   * framing per message; the in-process queue counts subject and payload). JetStream reserves it
   * from the server's storage when the stream is created.
   */
  maxBytes?: number;
}

export interface WorkPartition {
  /** Subject filter, e.g. `xmpp.v1.amp.p3.>`. */
  filter: string;
  /** Durable consumer name of the partition. */
  durable: string;
}
