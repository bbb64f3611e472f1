// The NATS adapter: core publish/subscribe for the latency path, JetStream for the work queue.
import { readFileSync } from "node:fs";
import { connect, nkeyAuthenticator, type ConnectionOptions, type NatsConnection, type JetStreamManager } from "nats";
import type { Bus, Handler, SubscribeOptions, Subscription, WorkQueue, WorkQueueSpec } from "./types.ts";
import { PayloadTooLargeError, reportToStderr, type HandlerErrorReporter } from "./errors.ts";
import { openNatsWorkQueue } from "./nats-work-queue.ts";

export interface NatsBusOptions {
  url: string;
  /** Connection name shown by the server (e.g. `gateway-<id>`). */
  name: string;
  /** File holding this process's nkey seed (`SU...`): its identity and permissions (permissions.ts). */
  seedFile?: string;
  /** CA certificate of the server's: the connection is TLS and the server verified. */
  caFile?: string;
  onHandlerError?: HandlerErrorReporter;
}

/** Connection options for one identity: nkey authentication and verified TLS when configured. */
export function natsConnectOptions(o: { url: string; name: string; seedFile?: string; caFile?: string }): ConnectionOptions {
  return {
    servers: o.url,
    name: o.name,
    // nats.js captures a stack trace (new Error()) up to three times per request, JetStream
    // publish and acknowledgement included: about a tenth of the router's CPU on the offline path.
    noAsyncTraces: true,
    ...(o.seedFile ? { authenticator: nkeyAuthenticator(readSeed(o.seedFile)) } : {}),
    ...(o.caFile ? { tls: { caFile: o.caFile } } : {}),
  };
}

function readSeed(file: string): Uint8Array {
  const seed = readFileSync(file, "utf8").trim();
  // User seeds start with SU; anything else is the wrong file (a public key, a .creds file ...).
  if (!/^SU[A-Z2-7]{56}$/.test(seed)) throw new Error(`nats.seedFile ${file}: not an nkey user seed (expected one line starting with SU)`);
  return new TextEncoder().encode(seed);
}

export interface NatsBus extends Bus {
  maxPayload(): number;
  /** Deletes the stream of a work queue with everything in it (tests, admin purge). */
  deleteWorkQueue(spec: WorkQueueSpec): Promise<void>;
}

export async function createNatsBus(opts: NatsBusOptions): Promise<NatsBus> {
  const nc = await connect({
    ...natsConnectOptions(opts),
    // Reconnect forever with short waits: a NATS restart must not take the service down.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  return new NatsBusImpl(nc, opts.onHandlerError ?? reportToStderr);
}

class NatsBusImpl implements NatsBus {
  private closing = false;
  // Publishes made while handling one event-loop turn's input, written to the socket together:
  // nats.js flushes on a microtask, which at one inbound stanza per socket read means one write
  // syscall per message. setImmediate runs after all of this turn's I/O callbacks.
  private batch: { subject: string; data: Uint8Array }[] = [];
  private scheduled = false;
  private readonly closedHandlers: ((err?: Error) => void)[] = [];
  private readonly reconnectedHandlers: (() => void)[] = [];
  private jsm: Promise<JetStreamManager> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly report: HandlerErrorReporter,
  ) {
    void nc.closed().then((err) => {
      if (this.closing) return;
      for (const h of this.closedHandlers) h(err ?? undefined);
    });
    void this.reportServerErrors();
  }

  // A publish the server refuses (a permissions violation) is dropped by the server with only
  // an asynchronous -ERR: report it, or a misconfigured identity would lose messages silently.
  // A reconnect is announced: core messages may have been lost while the server was away.
  private async reportServerErrors(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === "error") this.report(s.data, "(server error)");
      if (s.type !== "reconnect") continue;
      for (const h of this.reconnectedHandlers) {
        try {
          h();
        } catch (err) {
          this.report(err, "(reconnected)");
        }
      }
    }
  }

  publish(subject: string, data: Uint8Array): void {
    const limit = this.nc.info?.max_payload;
    if (limit !== undefined && data.length > limit) throw new PayloadTooLargeError(subject, data.length, limit);
    this.batch.push({ subject, data });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.writeBatch);
    }
  }

  private readonly writeBatch = (): void => {
    this.scheduled = false;
    const batch = this.batch;
    this.batch = [];
    for (const m of batch) this.nc.publish(m.subject, m.data);
  };

  subscribe(subject: string, handler: Handler, opts?: SubscribeOptions): Subscription {
    const report = this.report;
    const sub = this.nc.subscribe(subject, {
      queue: opts?.queue,
      callback(err, msg) {
        if (err) return report(err, subject);
        try {
          handler(msg.data, msg.subject);
        } catch (e) {
          report(e, msg.subject);
        }
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  flush(): Promise<void> {
    this.writeBatch();
    return this.nc.flush();
  }

  maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  async workQueue(spec: WorkQueueSpec): Promise<WorkQueue> {
    return openNatsWorkQueue(this.nc, await this.manager(), spec, this, this.report);
  }

  async deleteWorkQueue(spec: WorkQueueSpec): Promise<void> {
    const jsm = await this.manager();
    await jsm.streams.delete(spec.stream).catch((err: unknown) => {
      if (!/not found/i.test(String((err as Error)?.message))) throw err;
    });
  }

  onClosed(handler: (err?: Error) => void): void {
    this.closedHandlers.push(handler);
  }

  onReconnected(handler: () => void): void {
    this.reconnectedHandlers.push(handler);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.writeBatch();
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= this.nc.jetstreamManager().catch((err: unknown) => {
      this.jsm = undefined; // JetStream may come up later: let the next call retry
      throw err;
    });
    return this.jsm;
  }
}
