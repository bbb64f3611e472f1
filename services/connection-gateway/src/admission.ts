// Connection admission: per-IP concurrency, per-IP new connections per 10 s, and a cap per
// gateway (docs/architecture.md "Limits": per IP at most 20 concurrent and 10 new per 10 s).

export interface AdmissionLimits {
  connectionsPerIp: number;
  newConnectionsPerIpPer10s: number;
  connectionsPerGateway: number;
}

const WINDOW_MS = 10_000;

export type AdmissionRefusal = "per-ip" | "per-ip-rate" | "per-gateway";

export class Admission {
  private total = 0;
  private readonly open = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admits a connection (and counts it) or says which limit refused it. */
  admit(ip: string): AdmissionRefusal | null {
    const at = this.now();
    const times = (this.recent.get(ip) ?? []).filter((t) => at - t < WINDOW_MS);
    this.recent.set(ip, times);
    if (this.total >= this.limits.connectionsPerGateway) return "per-gateway";
    if ((this.open.get(ip) ?? 0) >= this.limits.connectionsPerIp) return "per-ip";
    if (times.length >= this.limits.newConnectionsPerIpPer10s) return "per-ip-rate";
    times.push(at);
    this.open.set(ip, (this.open.get(ip) ?? 0) + 1);
    this.total += 1;
    return null;
  }

  release(ip: string): void {
    const count = (this.open.get(ip) ?? 0) - 1;
    if (count > 0) this.open.set(ip, count);
    else this.open.delete(ip);
    this.total = Math.max(0, this.total - 1);
    this.prune();
  }

  /** Forgets rate windows that have passed so idle IPs do not accumulate. */
  private prune(): void {
    const at = this.now();
    for (const [ip, times] of this.recent) {
      if (times.every((t) => at - t >= WINDOW_MS)) this.recent.delete(ip);
    }
  }
}
