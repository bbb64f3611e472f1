// Noticing that the session store lost its data (docs/redis-loss.md): Redis restarted empty, or a
// failover promoted a replica that had not got it. The store keeps an epoch marker that the first
// router to find none creates; a router that reads another marker than the one it knew saw the
// data go, and asks every gateway to re-register its bound connections.
import { randomBytes } from "node:crypto";
import { encode, type Bus, type ReregisterRequest, type Subjects } from "@xmppd/bus";
import type { Logger } from "@xmppd/observability";
import type { SessionStore } from "@xmppd/storage";

/**
 * After a detected loss, a full identity whose session record is missing is kept this long
 * (identity.ts) instead of the connection being reset: its gateway is re-registering it.
 */
export const LOSS_GRACE_MS = 30_000;

export interface StoreEpoch {
  /** Reads the marker (creating it when missing); true when this read found the data lost. */
  check(): Promise<boolean>;
  /** The marker as last read; null before the first read. */
  current(): string | null;
  /** When this router found the data of `epoch` lost (ms since the epoch), if it did. */
  lostAt(epoch: string): number | undefined;
  /** A loss was found within LOSS_GRACE_MS. */
  recentLoss(): boolean;
}

export interface StoreEpochDeps {
  id: string;
  sessions: SessionStore;
  bus: Bus;
  subjects: Subjects;
  log: Logger;
  onLoss(): void;
}

export function createStoreEpoch(deps: StoreEpochDeps): StoreEpoch {
  let known: string | null = null;
  let loss: { epoch: string; at: number } | null = null;
  let reading: Promise<boolean> | null = null;

  async function read(): Promise<boolean> {
    const marker = await deps.sessions.epoch(randomBytes(9).toString("base64url"));
    if (known === null || marker === known) return void (known = marker), false;
    deps.log.warn({ was: known, now: marker }, "the session store lost its data; asking gateways to re-register their connections");
    known = marker;
    loss = { epoch: marker, at: Date.now() };
    deps.onLoss();
    request();
    return true;
  }

  function request(): void {
    const req: ReregisterRequest = { epoch: known!, router: deps.id };
    deps.bus.publish(deps.subjects.reregister(), encode(req));
  }

  return {
    // One read at a time: the liveness tick and identity checks share it.
    check() {
      reading ??= read()
        .catch((err: unknown) => (deps.log.warn({ err }, "session store epoch not read"), false))
        .finally(() => (reading = null));
      return reading;
    },
    current: () => known,
    lostAt: (epoch) => (loss?.epoch === epoch ? loss.at : undefined),
    recentLoss: () => loss !== null && Date.now() - loss.at < LOSS_GRACE_MS,
  };
}
