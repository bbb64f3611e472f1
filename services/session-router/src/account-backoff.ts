// Per-account back-off on repeated authentication failures (ARCHITECTURE "Limits": no lockout,
// which would let anyone lock any user out; a delay on failure answers is allowed). The answer
// to a failed attempt is held back 0.5 s, 1 s, 2 s ... (up to maxMs) once an account has had 3
// failures in 15 minutes; successes are never delayed, so the owner is not locked out. The
// counts are per router process: a guesser spread over routers meets the per-IP throttle of the
// gateways first. Unknown accounts are counted like known ones, so the delay reveals nothing.

const WINDOW_MS = 15 * 60_000;
const FREE_FAILURES = 3;
const BASE_MS = 500;
/** Bounded memory: the oldest accounts are forgotten first. */
const MAX_ACCOUNTS = 100_000;

export interface AccountBackoff {
  /** Records a failure of `account` and returns how long to hold back its answer. */
  failed(account: string): number;
}

export function createAccountBackoff(maxMs: number, now: () => number = Date.now): AccountBackoff {
  const failures = new Map<string, number[]>();
  return {
    failed(account) {
      const at = now();
      const recent = (failures.get(account) ?? []).filter((t) => at - t < WINDOW_MS);
      recent.push(at);
      failures.delete(account); // re-inserted last: Map order is the eviction order
      failures.set(account, recent.slice(-32));
      if (failures.size > MAX_ACCOUNTS) failures.delete(failures.keys().next().value!);
      const over = recent.length - FREE_FAILURES;
      return over <= 0 || maxMs === 0 ? 0 : Math.min(maxMs, BASE_MS * 2 ** (over - 1));
    },
  };
}
