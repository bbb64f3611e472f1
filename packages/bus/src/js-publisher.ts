// JetStream publishes with their acknowledgements, on one reply subscription. nats.js's
// `js.publish` makes each publish a request that builds a timer and, when answered, a
// "cancelled" NatsError with its stack trace (nats-base-client request.js): on the offline path
// that was about a tenth of a router's CPU. Here an answer costs a map lookup and a JSON parse,
// and one timer per publisher ends the publishes nobody answered.
import { ErrorCode, NatsError, createInbox, headers, type NatsConnection, type Msg, type Subscription } from "nats";

const utf8 = new TextDecoder();

interface Pending {
  resolve(): void;
  reject(err: Error): void;
  deadline: number;
}

/** An answer of the stream: {stream, seq, duplicate?} or {error: {code, err_code, description}}. */
interface PubAckAnswer {
  stream?: string;
  error?: { code: number; err_code?: number; description?: string };
}

export class JetStreamPublisher {
  private readonly prefix = createInbox();
  private next = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly sub: Subscription;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.answer(msg)) });
    void this.sub.closed.then(() => this.failAll(NatsError.errorForCode(ErrorCode.ConnectionClosed)));
  }

  /** Resolves once the stream has stored the message (or found its msgId a duplicate). */
  publish(subject: string, data: Uint8Array, msgId?: string): Promise<void> {
    const token = (this.next++).toString(36);
    const h = msgId === undefined ? undefined : headers();
    h?.set("Nats-Msg-Id", msgId!);
    return new Promise<void>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs });
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}.${token}`, ...(h ? { headers: h } : {}) });
      } catch (err) {
        this.pending.delete(token);
        return reject(err as Error);
      }
      this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.timeoutMs)).unref();
    });
  }

  private answer(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    // No stream listens on the subject: the server answers 503 with no payload.
    if (msg.data.length === 0 && msg.headers?.code === 503) return p.reject(NatsError.errorForCode(ErrorCode.NoResponders));
    let ack: PubAckAnswer;
    try {
      ack = JSON.parse(utf8.decode(msg.data)) as PubAckAnswer;
    } catch (err) {
      return p.reject(new NatsError(`unreadable JetStream acknowledgement: ${(err as Error).message}`, ErrorCode.JetStreamInvalidAck));
    }
    if (ack.error) return p.reject(apiError(ack.error));
    if (!ack.stream) return p.reject(NatsError.errorForCode(ErrorCode.JetStreamInvalidAck));
    p.resolve();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(token);
      p.reject(NatsError.errorForCode(ErrorCode.Timeout));
    }
    if (this.pending.size === 0) (clearInterval(this.sweeper), (this.sweeper = undefined));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** As nats.js reports a stream's refusal: the code as text, the server's answer in api_error. */
function apiError(error: NonNullable<PubAckAnswer["error"]>): NatsError {
  const description = (error.description ?? "").toLowerCase();
  const err = new NatsError(description || `JetStream error ${error.code}`, String(error.code));
  (err as NatsError & { api_error: unknown }).api_error = { code: error.code, err_code: error.err_code ?? 0, description: error.description ?? "" };
  return err;
}
