import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { runSmStoreContract } from "../contracts/sm-store-contract.ts";
import { createRedisSessionStore } from "../session/redis-session-store.ts";
import { createRedisSmStore } from "./redis-sm-store.ts";

const url = "redis://127.0.0.1:6379";
const prefixes: string[] = [];
const newPrefix = () => {
  const p = `xmppd_test_sm_${randomBytes(6).toString("hex")}:`;
  prefixes.push(p);
  return p;
};
afterAll(async () => {
  const admin = new Redis(url);
  for (const p of prefixes) {
    const keys = await admin.keys(`${p}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
});

runSmStoreContract("redis", () => createRedisSmStore({ url, keyPrefix: newPrefix() }));

it("a dead gateway's detached sessions stay bound in the session store", async () => {
  const keyPrefix = newPrefix();
  const sessions = createRedisSessionStore({ url, keyPrefix });
  const sm = createRedisSmStore({ url, keyPrefix });
  const rec = { jid: "alice@example.com/a", gateway: "gw-1", conn: "c1", available: true, priority: 0, boundAt: 1, sm: "x".repeat(24) };
  await sessions.bind(rec, 10);
  await sessions.bind({ ...rec, jid: "alice@example.com/b", conn: "c2", sm: undefined }, 10);
  await sm.create({ id: rec.sm, jid: rec.jid, gateway: "gw-1", conn: "c1" });
  expect(await sm.detachGateway("gw-1", 1)).toEqual([rec.sm]);
  expect((await sessions.removeGateway("gw-1")).map((r) => r.jid)).toEqual(["alice@example.com/b"]);
  expect(await sessions.get("alice@example.com")).toEqual([rec]);
  await Promise.all([sessions.close(), sm.close()]);
});
