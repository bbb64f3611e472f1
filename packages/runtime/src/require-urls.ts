// A service started on its own needs the real servers; say which settings are missing, by the
// environment variable a deployer would set.
import type { Config } from "@xmppd/config";

export type Requirement = "nats" | "redis" | "database";

const SETTING: Record<Requirement, { env: string; key: string; get(c: Config): string | undefined }> = {
  nats: { env: "NATS_URL", key: "nats.url", get: (c) => c.nats.url },
  redis: { env: "REDIS_URL", key: "redis.url", get: (c) => c.redis.url },
  database: { env: "DATABASE_URL", key: "database.url", get: (c) => c.database.url },
};

/** Throws one error naming every missing setting. */
export function requireUrls(service: string, config: Config, needs: Requirement[]): void {
  const missing = needs.filter((n) => !SETTING[n].get(config)).map((n) => `${SETTING[n].env} (${SETTING[n].key})`);
  if (missing.length === 0) return;
  const are = missing.length > 1 ? "are" : "is";
  throw new Error(`${service}: ${missing.join(", ")} ${are} not set; set ${missing.length > 1 ? "them" : "it"}, or run "npm start" for the single-process embedded mode`);
}
