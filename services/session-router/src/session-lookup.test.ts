import { describe, it, expect } from "vitest";
import type { SessionRecord } from "@xmppd/storage";
import { createSessionLookup } from "./session-lookup.ts";

const rec = (jid: string): SessionRecord => ({ jid, gateway: "g", conn: "c", available: true, priority: 0, boundAt: 1 });

describe("session lookup batcher", () => {
  it("answers lookups of one tick with a single store lookup, sessions and queued count together", async () => {
    const calls: string[][] = [];
    const lookup = createSessionLookup({
      lookup: async (jids) => {
        calls.push(jids);
        return new Map(jids.filter((j) => j !== "none@x").map((j, i) => [j, { sessions: [rec(`${j}/r`)], queued: i, blocked: null, carbons: 0 }]));
      },
    });
    const [a, b, a2, none] = await Promise.all([lookup("a@x"), lookup("b@x"), lookup("a@x"), lookup("none@x")]);
    expect(calls).toEqual([["a@x", "b@x", "none@x"]]);
    expect(a).toEqual({ sessions: [rec("a@x/r")], queued: 0, blocked: null, carbons: 0 });
    expect(a2).toEqual(a);
    expect(b).toEqual({ sessions: [rec("b@x/r")], queued: 1, blocked: null, carbons: 0 });
    expect(none).toEqual({ sessions: [], queued: 0, blocked: null, carbons: 0 });
    await lookup("c@x");
    expect(calls.length).toBe(2);
  });

  it("reads senders' block lists in the same store call, and not twice for an account read in full", async () => {
    const calls: [string[], string[]][] = [];
    const lookup = createSessionLookup({
      lookup: async (jids, lists = []) => {
        calls.push([jids, lists]);
        return new Map([...jids, ...lists].map((j) => [j, { sessions: [], queued: 0, blocked: [`blocked-by-${j}`], carbons: 0 }]));
      },
    });
    const [a, s, b] = await Promise.all([lookup("a@x"), lookup("s@x", true), lookup("a@x", true)]);
    expect(calls).toEqual([[["a@x"], ["s@x"]]]);
    expect([a.blocked, s.blocked, b.blocked]).toEqual([["blocked-by-a@x"], ["blocked-by-s@x"], ["blocked-by-a@x"]]);
  });

  it("rejects every waiter of a failed batch", async () => {
    const lookup = createSessionLookup({ lookup: async () => Promise.reject(new Error("redis down")) });
    await expect(Promise.all([lookup("a@x"), lookup("b@x", true)])).rejects.toThrow("redis down");
  });
});
