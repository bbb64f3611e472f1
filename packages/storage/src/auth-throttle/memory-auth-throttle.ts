// The AuthThrottleStore in process (embedded mode): the same fixed windows as on Redis. Entries
// expire like Redis keys; expired ones are dropped when touched and on a sweep every 1000 writes.
import { pairDelay, type AuthThrottleLimits, type AuthThrottleStore } from "./types.ts";

interface Counter { n: number; until: number }

export function createMemoryAuthThrottle(limits: AuthThrottleLimits, now: () => number = Date.now): AuthThrottleStore {
  const counters = new Map<string, Counter>();
  const known = new Map<string, Map<string, number>>();
  const { ban, throttle } = limits;
  let writes = 0;

  const live = (key: string) => {
    const c = counters.get(key);
    if (c && c.until <= now()) counters.delete(key);
    return c && c.until > now() ? c : undefined;
  };
  const incr = (key: string, seconds: number) => {
    if (++writes % 1000 === 0) for (const k of counters.keys()) live(k);
    const c = live(key) ?? { n: 0, until: now() + seconds * 1000 };
    c.n += 1;
    counters.set(key, c);
    return c.n;
  };
  const secondsLeft = (c: Counter | undefined) => (c ? Math.max(1, Math.ceil((c.until - now()) / 1000)) : 0);

  return {
    async bannedFor(ip) {
      return ban.maxFailures === 0 ? 0 : secondsLeft(live(`ban\0${ip}`));
    },
    async cappedFor(ip, account) {
      if (throttle.accountMaxFailures === 0 || throttle.accountWindowSeconds === 0) return 0;
      const c = live(`acct\0${account}`);
      if (!c || c.n < throttle.accountMaxFailures) return 0;
      return (known.get(account)?.get(ip) ?? 0) > now() ? 0 : secondsLeft(c);
    },
    async failed(ip, account) {
      let banned = false;
      if (ban.maxFailures > 0 && incr(`ip\0${ip}`, ban.windowSeconds) >= ban.maxFailures && !live(`ban\0${ip}`)) {
        counters.set(`ban\0${ip}`, { n: 1, until: now() + ban.banSeconds * 1000 });
        counters.delete(`ip\0${ip}`);
        banned = true;
      }
      if (account === null || throttle.accountWindowSeconds === 0) return { delayMs: 0, banned };
      incr(`acct\0${account}`, throttle.accountWindowSeconds);
      return { delayMs: pairDelay(incr(`pair\0${account}\0${ip}`, throttle.accountWindowSeconds), throttle), banned };
    },
    async succeeded(ip, account) {
      counters.delete(`pair\0${account}\0${ip}`);
      if (throttle.knownAddressDays === 0) return;
      const addresses = known.get(account) ?? new Map<string, number>();
      addresses.set(ip, now() + throttle.knownAddressDays * 86_400_000);
      known.set(account, addresses);
    },
    async close() {},
  };
}
