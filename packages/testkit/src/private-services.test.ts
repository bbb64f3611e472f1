// Private servers crash and come back where their clients look for them: Redis empty, Postgres and
// NATS JetStream with their data.
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import pg from "pg";
import { connect } from "nats";
import { natsConnectOptions, subjects } from "@xmppd/bus";
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from "./private-services.ts";
import { startSecureNats, type SecureNats } from "./secure-nats.ts";
import { isReachable } from "./ports.ts";
import { uniqueId } from "./ids.ts";

const started: Array<PrivateService | SecureNats> = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function redisGet(url: string, key: string, set?: string): Promise<string | null> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await r.connect();
  try {
    if (set !== undefined) await r.set(key, set);
    return await r.get(key);
  } finally {
    r.disconnect();
  }
}

async function pgQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

describe("private Redis", () => {
  it("comes back empty on the same port after a kill", async () => {
    const redis = await startPrivateRedis();
    started.push(redis);
    expect(await redisGet(redis.url, "k", "v")).toBe("v");
    const pid = redis.pid;
    await redis.kill();
    expect(redis.isRunning()).toBe(false);
    expect(redis.pid).toBeUndefined();
    expect(await isReachable(redis.port)).toBe(false);
    await redis.start();
    expect(redis.pid).not.toBe(pid);
    expect(await redisGet(redis.url, "k")).toBeNull();
    await redis.stop();
    expect(await isReachable(redis.port)).toBe(false);
    await redis.stop();
  });

  it("keeps its saved ACL users across a kill, as a configured server's aclfile does", async () => {
    const redis = await startPrivateRedis();
    started.push(redis);
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await admin.connect();
    await admin.call("ACL", "SETUSER", "svc", "on", ">pw", "~*", "+@all");
    await admin.call("ACL", "SAVE");
    admin.disconnect();
    await redis.restart();
    const as = new URL(redis.url);
    as.username = "svc";
    as.password = "pw";
    expect(await redisGet(as.toString(), "k", "v")).toBe("v");
  });
});

describe("private Postgres", () => {
  it("keeps its data across a kill and a start on the same port", async () => {
    const postgres = await startPrivatePostgres();
    started.push(postgres);
    await pgQuery(postgres.url, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)");
    // An open session sees the crash as an error event, as a service's pool would.
    const held = new pg.Client({ connectionString: postgres.url });
    const lost = new Promise<Error>((resolve) => held.on("error", resolve));
    await held.connect();
    await postgres.kill();
    expect(await isReachable(postgres.port)).toBe(false);
    expect((await lost).message).toMatch(/terminated|ECONNRESET/i);
    await postgres.restart();
    expect((await pgQuery(postgres.url, "SELECT v FROM t")).rows).toEqual([{ v: 42 }]);
    await postgres.stop();
    expect(await isReachable(postgres.port)).toBe(false);
  });
});

describe("private NATS", () => {
  it("comes back on the same port with its JetStream store", async () => {
    const cluster = uniqueId("pn");
    const nats = await startSecureNats({ cluster, gateways: [] });
    started.push(nats);
    // The router's identity may create and fill the AMP work queue's stream, and nothing else.
    const s = subjects(cluster);
    const opts = () => ({ ...natsConnectOptions({ url: nats.url, name: "t", seedFile: nats.secrets.seedFile({ role: "router" }), caFile: nats.caFile }), reconnect: false });
    const stream = s.ampStream();
    let nc = await connect(opts());
    await (await nc.jetstreamManager()).streams.add({ name: stream, subjects: [`${s.ampSubjectPrefix()}.>`] });
    await nc.jetstream().publish(s.ampWork("message", 0), new TextEncoder().encode("kept"));
    await nc.close();
    const pid = nats.pid;
    await nats.kill();
    expect(nats.isRunning()).toBe(false);
    await nats.start();
    expect(nats.pid).not.toBe(pid);
    nc = await connect(opts());
    const info = await (await nc.jetstreamManager()).streams.info(stream);
    expect(info.state.messages).toBe(1);
    await nc.close();
  });
});
