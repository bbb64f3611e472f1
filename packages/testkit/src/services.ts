// ensureServices(): NATS, Redis and Postgres reachable on loopback, started if they are not.
import { isReachable } from "./ports.ts";
import { startNats, startPostgres, startRedis } from "./start-services.ts";
import { waitFor } from "./wait.ts";

export interface ServiceUrls {
  natsUrl: string;
  redisUrl: string;
  /** The `postgres` database as user postgres (trust auth on 127.0.0.1); for CREATE DATABASE. */
  pgAdminUrl: string;
}

export const SERVICE_URLS: ServiceUrls = Object.freeze({
  natsUrl: "nats://127.0.0.1:4222",
  redisUrl: "redis://127.0.0.1:6379",
  pgAdminUrl: "postgres://postgres@127.0.0.1:5432/postgres",
});

const SERVICES = [
  { name: "NATS", port: 4222, start: () => void startNats(4222) },
  { name: "Redis", port: 6379, start: () => startRedis(6379) },
  { name: "Postgres", port: 5432, start: () => startPostgres() },
];

async function ensureOne(service: (typeof SERVICES)[number]): Promise<void> {
  if (await isReachable(service.port)) return;
  await service.start();
  await waitFor(() => isReachable(service.port), { timeoutMs: 20_000, intervalMs: 200, what: `${service.name} on 127.0.0.1:${service.port}` });
}

let ensured: Promise<ServiceUrls> | undefined;

/** Idempotent per process: concurrent callers share one check (and one start). */
export function ensureServices(): Promise<ServiceUrls> {
  ensured ??= Promise.all(SERVICES.map(ensureOne)).then(
    () => SERVICE_URLS,
    (err: unknown) => {
      ensured = undefined;
      throw err;
    },
  );
  return ensured;
}
