import { describe, it, expect } from "vitest";
import type { SessionRecord } from "@xmppd/storage";
import { createSessionLookup } from "./session-lookup.ts";

const rec = (jid: string): SessionRecord => ({ jid, gateway: "g", conn: "c", available: true, priority: 0, boundAt: 1 });

describe("session lookup batcher", () => {
  it("answers lookups of one tick with a single getMany", async () => {
    const calls: string[][] = [];
    const lookup = createSessionLookup({
      getMany: async (jids) => {
        calls.push(jids);
        return new Map(jids.filter((j) => j !== "none@x").map((j) => [j, [rec(`${j}/r`)]]));
      },
    });
    const [a, b, a2, none] = await Promise.all([lookup("a@x"), lookup("b@x"), lookup("a@x"), lookup("none@x")]);
    expect(calls).toEqual([["a@x", "b@x", "none@x"]]);
    expect(a.map((r) => r.jid)).toEqual(["a@x/r"]);
    expect(a2).toEqual(a);
    expect(b.map((r) => r.jid)).toEqual(["b@x/r"]);
    expect(none).toEqual([]);
    await lookup("c@x");
    expect(calls.length).toBe(2);
  });

  it("rejects every waiter of a failed batch", async () => {
    const lookup = createSessionLookup({ getMany: async () => Promise.reject(new Error("redis down")) });
    await expect(Promise.all([lookup("a@x"), lookup("b@x")])).rejects.toThrow("redis down");
  });
});
