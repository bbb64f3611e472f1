// What every work handler gets: the worker's collaborators, passed explicitly.
import type { AmpWork, Bus, Subjects } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import type { Logger } from "@xmppd/observability";
import type { AmpStore, BlockStore, OfflineStore, RosterStore, SessionStore, SmStore, UserStore } from "@xmppd/storage";
import type { AmpMetrics } from "./metrics.ts";

export interface WorkContext {
  readonly config: Config;
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly sessions: SessionStore;
  /** XEP-0198 resumption state shared with the routers; deliveries to resumable sessions go through it. */
  readonly sm?: SmStore;
  /** Account existence only: the worker's database role may not read credentials (docs/least-privilege.md). */
  readonly users: Pick<UserStore, "exists">;
  readonly offline: OfflineStore;
  /** XEP-0079 event outbox and expiry of stored messages. */
  readonly amp: AmpStore;
  /** XEP-0079 strict security reads the recipient's roster (DP-11). */
  readonly roster: Pick<RosterStore, "authorises">;
  /** XEP-0191 block lists: stored messages from a contact blocked since are not delivered. */
  readonly blocks?: Pick<BlockStore, "get">;
  readonly log: Logger;
  readonly metrics: AmpMetrics;
  /** Served domains, prepared. */
  readonly domains: ReadonlySet<string>;
  /** Order keys for rows this worker stores itself (events for offline senders). */
  readonly orderKey: () => string;
}

/** A short label for what a handler did, used as the `outcome` metric label. */
export type Outcome = string;

/** What the queue knows about one delivery of a work item. */
export interface WorkMeta {
  /** 1 on first delivery; larger when the work was redelivered after a failure or a crash. */
  deliveryCount: number;
}

export type WorkHandler<W extends AmpWork> = (work: W, ctx: WorkContext, meta?: WorkMeta) => Promise<Outcome>;

/** One handler per kind of work; AMP rule evaluation slots in as another entry or a wrapper. */
export type HandlerTable = { [K in AmpWork["t"]]: WorkHandler<Extract<AmpWork, { t: K }>> };

/**
 * Work that can never succeed (undecodable payload, unparsable stanza). Retrying would loop
 * forever, so the consumer acknowledges it and logs it instead of redelivering.
 */
export class PoisonWorkError extends Error {
  override name = "PoisonWorkError";
}
