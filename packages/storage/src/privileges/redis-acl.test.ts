// Each service's Redis ACL user on a real Redis 7: the store operations its service uses work,
// everything else (other services' writes, keys outside the prefix, server commands) is refused.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runSessionStoreContract } from "../contracts/session-store-contract.ts";
import { runSmStoreContract } from "../contracts/sm-store-contract.ts";
import { runAuthThrottleContract } from "../contracts/auth-throttle-contract.ts";
import { createRedisAuthThrottle } from "../auth-throttle/redis-auth-throttle.ts";
import { escapeGlob } from "../session/key-escape.ts";
import { createRedisSessionStore } from "../session/redis-session-store.ts";
import { createRedisSmStore } from "../sm/redis-sm-store.ts";
import type { SmStore } from "../sm/types.ts";
import type { SessionStore } from "../types.ts";
import type { ServiceRole } from "./pg-grants.ts";
import { applyRedisAcl, deleteRedisAclUsers, redisAclFileLine, redisAclRules, setRedisAclUser } from "./redis-acl.ts";

const url = "redis://127.0.0.1:6379";
const admin = new Redis(url);
const suffix = randomBytes(5).toString("hex");
// Glob characters in the prefix: the ACL patterns must match them literally.
const base = `xmppd_test_acl_${suffix}:[*]:`;
const users: Record<ServiceRole, string> = { router: `xmppd-t-router-${suffix}`, ampWorker: `xmppd-t-amp-${suffix}` };
const password = randomBytes(12).toString("hex");
const urlOf = (service: ServiceRole) => `redis://${users[service]}:${password}@127.0.0.1:6379`;
let n = 0;
const freshPrefix = () => `${base}${++n}:`;

beforeAll(async () => {
  await applyRedisAcl(url, base, [{ service: "router", user: users.router, password }, { service: "ampWorker", user: users.ampWorker, password }]);
});
afterAll(async () => {
  await deleteRedisAclUsers(url, Object.values(users));
  await deleteKeys(base);
  await admin.quit();
});

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await admin.scan(cursor, "MATCH", escapeGlob(prefix) + "*", "COUNT", 1000);
    cursor = next;
    if (found.length > 0) await admin.del(...found);
  } while (cursor !== "0");
}

// The router's user runs the whole contract but list/count: those SCAN the database, and only the
// admin CLI calls them, with its own credentials.
runSessionStoreContract("redis as the router's ACL user", () => {
  const keyPrefix = freshPrefix();
  return {
    open: () => {
      const router = createRedisSessionStore({ url: urlOf("router"), keyPrefix });
      const owner = createRedisSessionStore({ url, keyPrefix });
      return { ...router, list: owner.list, count: owner.count, close: async () => void (await Promise.all([router.close(), owner.close()])) };
    },
    cleanup: () => deleteKeys(keyPrefix),
  };
});

runSmStoreContract("redis as the router's ACL user", () => createRedisSmStore({ url: urlOf("router"), keyPrefix: freshPrefix() }));

runAuthThrottleContract("redis as the router's ACL user", (limits) => createRedisAuthThrottle({ url: urlOf("router"), keyPrefix: freshPrefix(), limits }));

const rec = { jid: "alice@example.com/phone", gateway: "gw-1", conn: "c1", available: true, priority: 1, boundAt: 1, sm: "s".repeat(24) };
const denied = /NOPERM|can't run this command|can't access at least one of the keys/;

describe("the AMP worker's ACL user", () => {
  const keyPrefix = base; // the worker's patterns are exact families under the prefix
  let router: SessionStore, routerSm: SmStore, worker: SessionStore, workerSm: SmStore;
  beforeAll(async () => {
    // Opened here: the users exist only once the file's beforeAll has run.
    router = createRedisSessionStore({ url: urlOf("router"), keyPrefix });
    routerSm = createRedisSmStore({ url: urlOf("router"), keyPrefix });
    worker = createRedisSessionStore({ url: urlOf("ampWorker"), keyPrefix });
    workerSm = createRedisSmStore({ url: urlOf("ampWorker"), keyPrefix });
    await router.bind(rec, 10);
    await routerSm.create({ id: rec.sm, jid: rec.jid, gateway: rec.gateway, conn: rec.conn });
  });
  afterAll(() => Promise.all([router.close(), routerSm.close(), worker.close(), workerSm.close()]));

  it("reads sessions, keeps the queued count and the block list cache, appends to a resumable session", async () => {
    expect(await worker.get("alice@example.com")).toEqual([rec]);
    expect(await worker.addQueued("alice@example.com", 2)).toBe(2);
    await worker.cacheBlocklist("alice@example.com", { version: 3, jids: ["mallory@example.com"] }, 60_000);
    expect((await worker.lookup(["alice@example.com"])).get("alice@example.com")).toEqual({ sessions: [rec], queued: 2, blocked: ["mallory@example.com"], carbons: 0 });
    expect(await worker.addQueued("alice@example.com", -2)).toBe(0);
    expect(await workerSm.append(rec.sm, "<message/>", { maxStanzas: 10, maxBytes: 10_000 }, "once-1")).toEqual({ ok: true, seq: 1, to: { gateway: "gw-1", conn: "c1" } });
    expect(await routerSm.unacked(rec.sm, 0)).toEqual([{ seq: 1, xml: "<message/>" }]);
  });

  it("may not bind, change presence, beat for a gateway or run the XEP-0198 sweep", async () => {
    await expect(worker.bind({ ...rec, jid: "eve@example.com/x" }, 10)).rejects.toThrow(denied);
    await expect(worker.setPresence(rec.jid, rec.conn, { available: false, priority: 0 })).rejects.toThrow(denied);
    await expect(worker.heartbeat("gw-1", 1000)).rejects.toThrow(denied);
    await expect(workerSm.claimDue(Date.now(), Date.now() + 1000, 10)).rejects.toThrow(denied);
    expect(await router.get("alice@example.com")).toEqual([rec]);
  });

  it("may not read keys outside the prefix, list keys, flush or configure the server", async () => {
    const redis = new Redis(urlOf("ampWorker"));
    try {
      await expect(redis.get("other-cluster:queued:{alice@example.com}")).rejects.toThrow(/NOPERM/);
      await expect(redis.eval("return redis.call('GET', 'other-cluster:x')", 0)).rejects.toThrow(denied);
      for (const cmd of [["FLUSHALL"], ["FLUSHDB"], ["KEYS", "*"], ["SCAN", "0"], ["CONFIG", "GET", "*"], ["SCRIPT", "FLUSH"], ["ACL", "LIST"]]) {
        await expect(redis.call(cmd[0]!, ...cmd.slice(1)), cmd.join(" ")).rejects.toThrow(/NOPERM/);
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe("the router's ACL user", () => {
  it("may not touch another cluster's keys, list keys, flush or configure the server", async () => {
    const other = createRedisSessionStore({ url: urlOf("router"), keyPrefix: "other-cluster:" });
    const redis = new Redis(urlOf("router"));
    try {
      await expect(other.bind(rec, 10)).rejects.toThrow(denied);
      await expect(redis.set("other-cluster:x", "1")).rejects.toThrow(/NOPERM/);
      for (const cmd of [["FLUSHALL"], ["FLUSHDB"], ["KEYS", "*"], ["SCAN", "0"], ["CONFIG", "SET", "maxmemory", "1"], ["SCRIPT", "FLUSH"], ["FUNCTION", "FLUSH"], ["ACL", "SETUSER", users.router, "+@all"], ["SHUTDOWN"]]) {
        await expect(redis.call(cmd[0]!, ...cmd.slice(1)), cmd.join(" ")).rejects.toThrow(/NOPERM/);
      }
    } finally {
      await other.close();
      redis.disconnect();
    }
  });

  it("connects without ioredis's ready-check warning", async () => {
    const warn = vi.spyOn(console, "warn");
    const redis = new Redis(urlOf("router"));
    try {
      await new Promise((resolve) => redis.once("ready", resolve));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      redis.disconnect();
    }
  });
});

describe("setRedisAclUser", () => {
  it("replaces whatever the user could do before", async () => {
    const user = `xmppd-t-reset-${suffix}`;
    await admin.call("ACL", "SETUSER", user, "on", `>${password}`, "~*", "+@all");
    try {
      await setRedisAclUser(admin, user, password, "ampWorker", base);
      const redis = new Redis(`redis://${user}:${password}@127.0.0.1:6379`);
      try {
        await expect(redis.set("anything", "1")).rejects.toThrow(/NOPERM/);
        await expect(redis.call("ACL", "WHOAMI")).rejects.toThrow(/NOPERM/);
      } finally {
        redis.disconnect();
      }
    } finally {
      await admin.call("ACL", "DELUSER", user);
    }
  });
});

describe("redisAclFileLine", () => {
  it("is the same user as setRedisAclUser makes, for an ACL file", async () => {
    const line = redisAclFileLine("xmppd-amp", "secret", "ampWorker", "prod:");
    expect(line).toBe(`user xmppd-amp on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ${redisAclRules("ampWorker", "prod:").join(" ")}`);
    expect(line).toContain(" ~prod:queued:* ~prod:empty:* ~prod:block:* ~prod:sm:* %R~prod:sess:* -@all ");
  });
});
