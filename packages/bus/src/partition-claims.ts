// Which ordered partitions of a work queue this process consumes. A partition is taken in
// batches (many messages unacknowledged at once), so its order holds only while one process at a
// time pulls it. A claim is a key of a JetStream KV bucket: created atomically, renewed by
// revision, handed back by writing an empty value, and gone with the bucket's TTL when its holder
// dies. Processes share the partitions:
// each announces itself on a members subject and holds at most ceil(partitions / live members).
import type { KV, NatsConnection, Subscription } from "nats";
import type { HandlerErrorReporter } from "./errors.ts";
import type { HandedBack } from "./nats-batch-loop.ts";

export interface ClaimHooks {
  /**
   * This process alone may now consume partition `p`. `clean`: its last holder handed it back
   * with nothing out (`handedBack`: what it nak'd on the way out); otherwise that holder died or
   * lost it, and may still hold messages.
   */
  take(p: number, clean: boolean, handedBack?: HandedBack): void;
  /** Stop consuming `p`; resolves once nothing of it is held (acked or handed back) with what was handed back. */
  drop(p: number): Promise<HandedBack | undefined>;
}

export interface ClaimOptions {
  count: number;
  membersSubject: string;
  /** A claim not renewed for this long lapses (the KV bucket's TTL). */
  ttlMs: number;
  /** How often members announce themselves and the share is recomputed. */
  tickMs: number;
  /** How often claims are renewed (a multiple of tickMs). */
  renewMs: number;
}

export const CLAIM_TTL_MS = 10_000;
export const CLAIM_TICK_MS = 1_000;
/**
 * Claims are renewed every other tick (each renewal is a JetStream write per partition). Renewals
 * failing for ttl/2 are seen by ttl/2 + this, and the open pull ends within PULL_EXPIRES_MS
 * after: 5 + 2 + 3 s, before another process may take the partition at the TTL (10 s).
 */
export const CLAIM_RENEW_MS = 2_000;

export class PartitionClaims {
  private readonly id = Math.random().toString(36).slice(2, 12);
  /** Partition -> revision of our claim key. */
  private readonly held = new Map<number, number>();
  /** When our claims were last renewed (all at once). */
  private renewedAt = Date.now();
  private readonly seen = new Map<string, number>();
  private members: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly opts: ClaimOptions,
    private readonly report: HandlerErrorReporter,
  ) {}

  start(hooks: ClaimHooks): void {
    this.members = this.nc.subscribe(this.opts.membersSubject, {
      callback: (err, msg) => {
        if (!err) this.seen.set(msg.string(), Date.now());
      },
    });
    const tick = (): void => {
      this.ticking = this.ticking.then(() => this.tick(hooks)).catch((err: unknown) => this.report(err, "partition claims"));
    };
    // Announced at once, claiming only a tick later: workers started together see each
    // other first, so none takes every partition only to hand most of them back.
    this.nc.publish(this.opts.membersSubject, this.id);
    this.timer = setInterval(tick, this.opts.tickMs);
    this.timer.unref();
  }

  /** Hands every partition back (each drained by `hooks.drop`) so others take them at once. */
  async stop(hooks: ClaimHooks): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.members?.unsubscribe();
    await this.ticking;
    await Promise.all([...this.held.keys()].map((p) => this.release(p, hooks)));
  }

  private async tick(hooks: ClaimHooks): Promise<void> {
    if (this.stopped) return;
    this.nc.publish(this.opts.membersSubject, this.id);
    // Renewed when due, with a tick's slack so that timer jitter does not skip a renewal.
    if (Date.now() - this.renewedAt >= this.opts.renewMs - this.opts.tickMs / 2) await this.renew(hooks);
    const share = Math.ceil(this.opts.count / this.liveMembers());
    // Over our share (a member joined): hand back the highest partitions for it to take.
    const extra = [...this.held.keys()].sort((a, b) => b - a).slice(0, Math.max(0, this.held.size - share));
    await Promise.all(extra.map((p) => this.release(p, hooks)));
    if (this.held.size < share) await this.claimFree(hooks, share);
  }

  private liveMembers(): number {
    const cutoff = Date.now() - 3 * this.opts.tickMs;
    for (const [id, at] of this.seen) if (at < cutoff) this.seen.delete(id);
    this.seen.set(this.id, Date.now());
    return this.seen.size;
  }

  private async renew(hooks: ClaimHooks): Promise<void> {
    let failed = false;
    await Promise.all([...this.held].map(async ([p, revision]) => {
      try {
        this.held.set(p, await this.kv.update(key(p), this.id, revision));
      } catch (err) {
        // Taken or lapsed (we stalled past the TTL): stop pulling it at once. Another process
        // that took it waits for what we still hold (PartitionBatchLoop's settle).
        if (wrongRevision(err)) return this.lose(p, hooks, err);
        failed = true;
      }
    }));
    if (!failed) {
      this.renewedAt = Date.now();
      return;
    }
    // NATS away (a restart): keep working while the claims cannot have lapsed yet; stop pulling
    // well before they can, since another process may then take them.
    if (Date.now() - this.renewedAt > this.opts.ttlMs / 2) {
      await Promise.all([...this.held.keys()].map((p) => this.lose(p, hooks, new Error("claims not renewed"))));
    }
  }

  private async lose(p: number, hooks: ClaimHooks, err: unknown): Promise<void> {
    this.held.delete(p);
    this.report(err, `claim of partition ${p} lost`);
    await hooks.drop(p);
  }

  private async claimFree(hooks: ClaimHooks, share: number): Promise<void> {
    // Start at a place of our own so members joining together try different partitions first.
    const start = parseInt(this.id.slice(0, 6), 36) % this.opts.count;
    for (let i = 0; i < this.opts.count && this.held.size < share && !this.stopped; i++) {
      const p = (start + i) % this.opts.count;
      if (this.held.has(p)) continue;
      const claimed = await this.claim(p);
      if (!claimed) continue;
      this.held.set(p, claimed.revision);
      hooks.take(p, claimed.clean, claimed.handedBack);
    }
  }

  private async claim(p: number): Promise<{ revision: number; clean: boolean; handedBack?: HandedBack } | undefined> {
    try {
      const entry = await this.kv.get(key(p));
      if (entry && entry.operation === "PUT") {
        const holder = entry.string();
        // Ours from before we lost it: what we held then may still be out, so not clean.
        if (holder === this.id) return { revision: await this.kv.update(key(p), this.id, entry.revision), clean: false };
        const released = parseReleased(holder);
        if (released === null) return undefined; // held by another member
        return { revision: await this.kv.update(key(p), this.id, entry.revision), clean: true, ...(released ? { handedBack: released } : {}) };
      }
      return { revision: await this.kv.create(key(p), this.id), clean: false };
    } catch {
      return undefined; // another member was quicker
    }
  }

  private async release(p: number, hooks: ClaimHooks): Promise<void> {
    const handedBack = await hooks.drop(p);
    const revision = this.held.get(p);
    this.held.delete(p);
    if (revision === undefined) return;
    // Acknowledgements sent before the claim goes, so the next holder finds nothing pending.
    await this.nc.flush();
    const value = handedBack ? `back:${handedBack.upTo}:${handedBack.count}` : "";
    await this.kv.update(key(p), value, revision).catch((err: unknown) => this.report(err, `claim of partition ${p} not released`));
  }
}

/**
 * A released claim's value: "" (nothing handed back) or "back:<upTo>:<count>" -> that; a holder's
 * id -> null (held). Member ids are base 36, so they never contain a colon.
 */
function parseReleased(value: string): HandedBack | undefined | null {
  if (value === "") return undefined;
  const m = /^back:(\d+):(\d+)$/.exec(value);
  return m ? { upTo: Number(m[1]), count: Number(m[2]) } : null;
}

/** JetStream's answer to a KV update whose expected revision is not the key's last (10071). */
function wrongRevision(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10071 || /wrong last sequence/i.test(String(e?.message));
}

function key(p: number): string {
  return `p${p}`;
}
