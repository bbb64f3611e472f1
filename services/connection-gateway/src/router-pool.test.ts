import { describe, it, expect } from "vitest";
import { RouterPool } from "./router-pool.ts";

function setup() {
  let t = 0;
  const log: string[] = [];
  const pool = new RouterPool(
    300,
    { onLive: (id) => log.push(`live ${id}`), onLeaving: (id, why) => log.push(`${why} ${id}`) },
    () => t,
  );
  return { pool, log, advance: (ms: number) => (t += ms) };
}

describe("RouterPool", () => {
  it("picks the live router with the fewest assigned connections", () => {
    const { pool } = setup();
    expect(pool.pick()).toBeNull();
    pool.beacon({ id: "r1", ts: 0 });
    pool.beacon({ id: "r2", ts: 0 });
    pool.assign(pool.pick()!);
    pool.assign(pool.pick()!);
    pool.assign("r1");
    expect(pool.pick()).toBe("r2");
    expect(pool.pick("r2")).toBe("r1");
  });

  it("declares a router dead when its beacons stop, and live again when they resume", () => {
    const { pool, log, advance } = setup();
    pool.beacon({ id: "r1", ts: 0 });
    advance(200);
    pool.sweep();
    expect(pool.isLive("r1")).toBe(true);
    advance(200);
    pool.sweep();
    expect(pool.isLive("r1")).toBe(false);
    pool.beacon({ id: "r1", ts: 0 });
    expect(log).toEqual(["live r1", "dead r1", "live r1"]);
  });

  it("stops assigning to a draining router and reports it once", () => {
    const { pool, log } = setup();
    pool.beacon({ id: "r1", ts: 0 });
    pool.beacon({ id: "r1", ts: 1, draining: true });
    pool.beacon({ id: "r1", ts: 2, draining: true });
    expect(pool.pick()).toBeNull();
    expect(pool.hasLive()).toBe(false);
    expect(log).toEqual(["live r1", "draining r1"]);
  });

  it("keeps the capabilities each router last announced (XEP-0115), forgotten with the router", () => {
    const { pool, advance } = setup();
    pool.beacon({ id: "r1", ts: 0, caps: { node: "urn:xmppd:caps", ver: "v1" } });
    pool.beacon({ id: "r2", ts: 0 });
    expect(pool.capsOf("r1")).toEqual({ node: "urn:xmppd:caps", ver: "v1" });
    expect(pool.capsOf("r2")).toBeUndefined();
    pool.beacon({ id: "r1", ts: 1, caps: { node: "urn:xmppd:caps", ver: "v2" } });
    expect(pool.capsOf("r1")).toEqual({ node: "urn:xmppd:caps", ver: "v2" });
    advance(400);
    pool.sweep();
    expect(pool.capsOf("r1")).toBeUndefined();
  });
});
