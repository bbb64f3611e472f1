// Messages a gateway sends back because they reached a connection without XEP-0198 after it
// ended (the gateway's returns.ts). The gateway's word is believed only for the account this
// router established on that very connection: it remembers who each closed connection was for a
// while, and takes back only messages addressed to that account, which then take the path of
// what a resumable session never acknowledged (stored offline, or to another resource).
import type { Returned } from "@xmppd/bus";
import { tryParseJid } from "@xmppd/jid";
import type { RouterContext } from "./context.ts";
import { undeliverable } from "./sm-undeliverable.ts";

/** Longer than a gateway takes back late deliveries (its LINGER_MS, 30 s). */
const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 200_000;

export interface ClosedConnections {
  /** The full JID the router established on the connection, which closed just now. */
  remember(gw: string, conn: string, jid: string): void;
  /** The bare JID of a connection closed within REMEMBER_MS, if this router closed it. */
  ownerOf(gw: string, conn: string): string | undefined;
}

export function createClosedConnections(now: () => number = () => performance.now()): ClosedConnections {
  // Insertion order is closing order, so the oldest are first.
  const closed = new Map<string, { bare: string; at: number }>();
  const prune = (at: number): void => {
    for (const [key, c] of closed) {
      if (at - c.at < REMEMBER_MS && closed.size <= MAX_REMEMBERED) return;
      closed.delete(key);
    }
  };
  return {
    remember(gw, conn, jid) {
      const bare = tryParseJid(jid)?.bareString();
      if (bare === undefined) return;
      const at = now();
      closed.set(`${gw} ${conn}`, { bare, at });
      prune(at);
    },
    ownerOf(gw, conn) {
      const c = closed.get(`${gw} ${conn}`);
      return c && now() - c.at < REMEMBER_MS ? c.bare : undefined;
    },
  };
}

export function isReturned(v: unknown): v is Returned {
  const e = v as Partial<Returned> | null;
  return typeof e === "object" && e !== null && e.t === "returned" && typeof e.gw === "string" && typeof e.conn === "string" &&
    Array.isArray(e.items) && e.items.every((i) => typeof i === "object" && i !== null && Number.isSafeInteger(i.n) && typeof i.xml === "string");
}

export async function takeBack(ctx: RouterContext, closed: ClosedConnections, env: Returned): Promise<void> {
  const owner = closed.ownerOf(env.gw, env.conn);
  if (owner === undefined) {
    ctx.metrics.refused("unbound-connection");
    return void ctx.log.warn({ gateway: env.gw, conn: env.conn, messages: env.items.length }, "messages sent back for a connection this router did not close lately; dropped");
  }
  await undeliverable(ctx, `ret:${env.gw}:${env.conn}`, env.items.map((i) => ({ seq: i.n, xml: i.xml })), owner);
}
