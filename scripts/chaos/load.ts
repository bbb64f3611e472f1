// Steady load: `rate` messages per second in total, from random senders to random recipients,
// a share of them with AMP rules. A sender whose stream is down keeps its messages until it is
// back (as a real client's outbox does); they count as accepted only once the server acks them.
import type { ChaosClient } from "./client.ts";
import type { Fleet } from "./fleet.ts";

export interface LoadOptions {
  rate: number;
  /** Fraction of messages with <amp/> rules (0..1). */
  ampShare: number;
  /** Clients that neither send nor receive the steady load (a fault's subject). */
  exclude?: ReadonlySet<ChaosClient>;
}

export interface Load {
  stop(): void;
}

export function startLoad(fleet: Fleet, o: LoadOptions): Load {
  const tickMs = 20;
  const pool = fleet.clients.filter((c) => !o.exclude?.has(c));
  if (pool.length < 2) throw new Error("the load needs at least two clients");
  let owed = 0;
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    owed += ((now - last) / 1000) * o.rate;
    last = now;
    for (; owed >= 1; owed--) {
      const from = pool[Math.floor(Math.random() * pool.length)]!;
      let to = pool[Math.floor(Math.random() * pool.length)]!;
      if (to === from) to = pool[(pool.indexOf(from) + 1) % pool.length]!;
      fleet.message(from, to, Math.random() < o.ampShare ? "amp" : "plain");
    }
  }, tickMs);
  return { stop: () => clearInterval(timer) };
}
