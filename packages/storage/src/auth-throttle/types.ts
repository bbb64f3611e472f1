// Cluster-wide authentication throttle (docs/architecture.md "Limits"): failures are counted per
// address, per account and per address+account pair across every router, so a guesser gains
// nothing by spreading attempts over gateways and routers. Windows are fixed: they start at the
// first failure and end windowSeconds later. A limit of 0 turns its part off.

export interface AuthThrottleLimits {
  /** Per address, like ejabberd's mod_fail2ban: maxFailures in windowSeconds ban it for banSeconds. */
  ban: { maxFailures: number; windowSeconds: number; banSeconds: number };
  /**
   * Per account. The answer to a failure of one address+account pair is delayed baseDelayMs,
   * 2x, 4x ... (at most maxDelayMs) after freeFailures failures in accountWindowSeconds. Past
   * accountMaxFailures failures of the account from all addresses in that window, only addresses
   * that logged in to it within knownAddressDays may try it until the window ends.
   */
  throttle: {
    accountWindowSeconds: number;
    freeFailures: number;
    baseDelayMs: number;
    maxDelayMs: number;
    accountMaxFailures: number;
    knownAddressDays: number;
  };
}

export interface AuthFailure {
  /** How long to hold back the failure answer. */
  delayMs: number;
  /** This failure banned the address. */
  banned: boolean;
}

export interface AuthThrottleStore {
  /** Seconds the address stays banned; 0: not banned. */
  bannedFor(address: string): Promise<number>;
  /** Seconds until the account may be tried again from this address; 0: it may now. */
  cappedFor(address: string, account: string): Promise<number>;
  /** One failed attempt, counted atomically; account null when no account was named. */
  failed(address: string, account: string | null): Promise<AuthFailure>;
  /** A login: the address becomes known for the account and the pair's back-off ends. */
  succeeded(address: string, account: string): Promise<void>;
  close(): Promise<void>;
}

/** The delay for the nth failure of a pair (1-based). */
export function pairDelay(n: number, t: AuthThrottleLimits["throttle"]): number {
  const over = n - t.freeFailures;
  if (over <= 0 || t.maxDelayMs === 0 || t.baseDelayMs === 0) return 0;
  return Math.min(t.maxDelayMs, t.baseDelayMs * 2 ** Math.min(over - 1, 30));
}
