// Coded bus errors: callers test `name` (or instanceof) instead of parsing messages.

/** A payload larger than the bus accepts (NATS `max_payload`, 1 MiB by default). */
export class PayloadTooLargeError extends Error {
  override readonly name = "PayloadTooLargeError";
  constructor(
    readonly subject: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`bus payload of ${size} bytes on ${subject} exceeds max_payload (${limit} bytes)`);
  }
}

/**
 * A work queue at its bound (WorkQueueSpec.maxMessages / maxBytes; JetStream max_msgs / max_bytes
 * with discard "new"): the message was not stored. Not transient: the backlog drains at the
 * workers' pace, so whoever publishes answers now (a bounce) instead of waiting with its
 * connection held (docs/bounds.md).
 */
export class WorkQueueFullError extends Error {
  override readonly name = "WorkQueueFullError";
  constructor(
    readonly subject: string,
    readonly bound: "messages" | "bytes",
    options?: ErrorOptions,
  ) {
    super(`work queue full (maximum ${bound}) on ${subject}`, options);
  }
}

/** A subject no work queue stream covers, or a publish on a closed bus. */
export class BusError extends Error {
  override readonly name = "BusError";
}

/** Reports an exception thrown by a subscription handler; the bus keeps delivering. */
export type HandlerErrorReporter = (err: unknown, subject: string) => void;

export const reportToStderr: HandlerErrorReporter = (err, subject) => {
  console.error(`bus handler for ${subject} threw`, err);
};
