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

/** A subject no work queue stream covers, or a publish on a closed bus. */
export class BusError extends Error {
  override readonly name = "BusError";
}

/** Reports an exception thrown by a subscription handler; the bus keeps delivering. */
export type HandlerErrorReporter = (err: unknown, subject: string) => void;

export const reportToStderr: HandlerErrorReporter = (err, subject) => {
  console.error(`bus handler for ${subject} threw`, err);
};
