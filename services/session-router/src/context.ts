// What every envelope handler of the router needs, built once by createRouter.
import { encode, type AmpQueue, type Bus, type Subjects, type ToGateway, type WorkQueue } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import type { ModuleHost } from "@xmppd/modules";
import type { Logger } from "@xmppd/observability";
import type { AuthThrottleStore, BlockStore, LastActivityStore, RosterStore, SessionStore, UserStore } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { SessionLookup } from "./session-lookup.ts";
import type { SmRouter } from "./sm-delivery.ts";
import type { StoreEpoch } from "./store-epoch.ts";

export interface RouterContext {
  readonly id: string;
  readonly config: Config;
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly sessions: SessionStore;
  readonly users: UserStore;
  /** Rosters (RFC 6121 §2), Postgres. */
  readonly rosters: RosterStore;
  /** XEP-0191 block lists, Postgres; null when the router runs without them (no blocking). */
  readonly blocklists: BlockStore | null;
  /** XEP-0012 last logouts, Postgres; null when the router runs without account stores. */
  readonly lastActivity: LastActivityStore | null;
  readonly log: Logger;
  readonly metrics: RouterMetrics;
  readonly modules: ModuleHost;
  /** The durable AMP work queue (offline messages and flush requests). */
  readonly work: WorkQueue;
  /** Where an account's work goes on it (its ordered partition). */
  readonly ampQueue: AmpQueue;
  /** Batched session lookup by bare JID. */
  readonly lookup: SessionLookup;
  /** Served domains, prepared (RFC 7622). */
  readonly domains: ReadonlySet<string>;
  /** Next order key for an offline message. */
  readonly order: () => string;
  /** Cluster-wide key for the fake SCRAM salts of unknown users (same on every router). */
  readonly fakeSaltKey: Buffer;
  /** XEP-0198: resumable sessions' numbered deliveries and state. */
  readonly sm: SmRouter;
  /** Cluster-wide authentication failure counts and bans (auth-throttle.ts). */
  readonly authThrottle: AuthThrottleStore;
  /** Whether the session store lost its data (docs/redis-loss.md). */
  readonly epoch: StoreEpoch;
}

/** One publish to a gateway's inbox. */
export function sendToGateway(ctx: RouterContext, gw: string, env: ToGateway): void {
  ctx.bus.publish(ctx.subjects.gatewayInbox(gw), encode(env));
}

/** Sends a stanza back to the connection it came from (replies and errors). */
export function replyTo(ctx: RouterContext, state: ConnState, el: Element | null): void {
  if (el) deliverTo(ctx, { gateway: state.gw, conn: state.conn, sm: state.sm }, el.toString());
}

/** One stanza to one session: numbered and kept first when it is resumable (XEP-0198). */
export function deliverTo(ctx: RouterContext, target: { gateway: string; conn: string; sm?: string | undefined }, xml: string): void {
  if (target.sm !== undefined) return ctx.sm.deliver({ gateway: target.gateway, conn: target.conn, sm: target.sm }, xml);
  sendToGateway(ctx, target.gateway, { t: "deliver", conn: target.conn, xml });
}
