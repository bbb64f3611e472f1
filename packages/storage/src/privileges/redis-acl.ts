// The Redis ACL of each service's own user: the one source of truth, applied by setRedisAclUser
// (admin `redis-acl`) and explained in docs/least-privilege.md. Keys are confined to the
// cluster's prefix (key layout: session/redis-keys.ts and sm/redis-sm-scripts.ts); commands are
// exactly those the service's store code sends, plus every command inside the Lua scripts it
// runs (Redis 7 checks those against the caller's ACL too), read from the scripts themselves.
// Not +@scripting: it also holds SCRIPT FLUSH and FUNCTION FLUSH/RESTORE/DELETE, which we never use.
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { escapeGlob } from "../session/key-escape.ts";
import { LuaScript } from "../session/lua-script.ts";
import * as sessionScripts from "../session/redis-scripts.ts";
import { ADD_QUEUED, CACHE_BLOCKLIST } from "../session/redis-scripts.ts";
import * as smScripts from "../sm/redis-sm-scripts.ts";
import * as authThrottleScripts from "../auth-throttle/redis-auth-throttle-scripts.ts";
import { APPEND } from "../sm/redis-sm-scripts.ts";
import type { ServiceRole } from "./pg-grants.ts";

export interface RedisAccess {
  /** Key patterns under the prefix the service reads and writes (~). */
  readWrite: readonly string[];
  /** Key patterns under the prefix it only reads (%R~). */
  readOnly: readonly string[];
  /** Commands its store code sends outside scripts. */
  commands: readonly string[];
  /** Scripts it runs (EVALSHA, EVAL on a cold cache). */
  scripts: readonly LuaScript[];
}

const scriptsOf = (module: Record<string, unknown>) => Object.values(module).filter((v): v is LuaScript => v instanceof LuaScript);

export const REDIS_ACCESS: Readonly<Record<ServiceRole, RedisAccess>> = {
  // The router owns the session registry, the XEP-0198 state and the authentication throttle
  // (auth-throttle/): every key under the prefix.
  // SessionStore.list/count (SCAN, which sees every key of the database) are the admin CLI's.
  router: {
    readWrite: ["*"],
    readOnly: [],
    commands: ["exists", "hgetall", "mget", "set"], // nothingStored, get/lookup, lookup's counters and block lists, heartbeat
    scripts: [...scriptsOf(sessionScripts), ...scriptsOf(smScripts), ...scriptsOf(authThrottleScripts)],
  },
  // The AMP worker reads sessions (SessionStore.get, lookup), keeps the queued counters
  // (addQueued), the accounts' "nothing stored" marks (empty:) and the block list cache (lookup,
  // cacheBlocklist), and appends deliveries to resumable sessions (SmStore.append: sm:<id>, its
  // :q list and :o once-keys). It cannot bind,
  // change presence, or touch gateways' sets and the XEP-0198 sweep (smgw:, smdue).
  ampWorker: {
    readWrite: ["queued:*", "empty:*", "block:*", "sm:*"],
    readOnly: ["sess:*"],
    commands: ["del", "hgetall", "mget", "set"],
    scripts: [ADD_QUEUED, CACHE_BLOCKLIST, APPEND],
  },
};

// ioredis's ready check on every connection. INFO shows server statistics, no data and no
// secrets; without it each connection prints a warning and skips waiting out a loading Redis.
const CONNECTION_COMMANDS = ["info"];

/** The commands inside a script, e.g. ["HGET", "HSET"]. Every call must name its command literally. */
export function scriptCommands(script: LuaScript): string[] {
  const calls = script.source.match(/redis\.p?call\(/g) ?? [];
  const named = [...script.source.matchAll(/redis\.p?call\(\s*'([A-Za-z]+)'/g)].map((m) => m[1]!.toLowerCase());
  if (named.length !== calls.length) throw new Error(`a redis.call with a computed command cannot be given an ACL:\n${script.source}`);
  return named;
}

/** The ACL rules of a service's user (after `reset`) for the cluster's key prefix. */
export function redisAclRules(service: ServiceRole, keyPrefix: string): string[] {
  const access = REDIS_ACCESS[service];
  const prefix = escapeGlob(keyPrefix);
  const commands = new Set([...CONNECTION_COMMANDS, ...access.commands, "evalsha", "eval", ...access.scripts.flatMap(scriptCommands)]);
  return [
    "resetchannels",
    ...access.readWrite.map((p) => `~${prefix}${p}`),
    ...access.readOnly.map((p) => `%R~${prefix}${p}`),
    "-@all",
    ...[...commands].sort().map((c) => `+${c}`),
  ];
}

/** Creates or replaces the user: whatever it had before is reset first. Run with an ACL admin. */
export async function setRedisAclUser(admin: Redis, user: string, password: string, service: ServiceRole, keyPrefix: string): Promise<void> {
  if (password === "") throw new Error(`Redis user ${user} needs a password`);
  await admin.call("ACL", "SETUSER", user, "reset", "on", `>${password}`, ...redisAclRules(service, keyPrefix));
}

export interface RedisAclUser {
  service: ServiceRole;
  user: string;
  password: string;
}

/** Connects to adminUrl (a user allowed ACL SETUSER), creates or replaces each user, disconnects. */
export async function applyRedisAcl(adminUrl: string, keyPrefix: string, users: readonly RedisAclUser[]): Promise<void> {
  await withRedis(adminUrl, async (admin) => {
    for (const u of users) await setRedisAclUser(admin, u.user, u.password, u.service, keyPrefix);
  });
}

/** ACL DELUSER through adminUrl (throwaway clusters' users). */
export async function deleteRedisAclUsers(adminUrl: string, users: readonly string[]): Promise<void> {
  if (users.length > 0) await withRedis(adminUrl, async (admin) => void (await admin.call("ACL", "DELUSER", ...users)));
}

async function withRedis(url: string, fn: (redis: Redis) => Promise<void>): Promise<void> {
  // One attempt: a setup step should fail at once with the server's reason, not retry for minutes.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  // The failure comes back as connect()'s rejection; without a listener ioredis also prints it.
  redis.on("error", () => {});
  try {
    await redis.connect();
    await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** The same user as a line of a Redis ACL file (aclfile), with the password as its SHA-256. */
export function redisAclFileLine(user: string, password: string, service: ServiceRole, keyPrefix: string): string {
  const parts = [user, ...redisAclRules(service, keyPrefix)];
  if (parts.some((p) => /\s/.test(p))) throw new Error("an ACL file line cannot hold whitespace in a user name or key prefix");
  const hash = createHash("sha256").update(password).digest("hex");
  return `user ${user} on #${hash} ${parts.slice(1).join(" ")}`;
}
