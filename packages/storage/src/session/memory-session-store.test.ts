import { describe, expect, it, vi } from "vitest";
import { runSessionStoreContract } from "../contracts/session-store-contract.ts";
import { createMemorySessionStore } from "./memory-session-store.ts";

runSessionStoreContract("memory", () => {
  const store = createMemorySessionStore();
  return { open: () => store };
});

describe("memory session store expiries", () => {
  it("do not follow a wall-clock jump, as Redis's do not: a gateway's heartbeat outlives Date moving ahead", async () => {
    const store = createMemorySessionStore();
    await store.bind({ jid: "a@x.org/r", gateway: "gw-1", conn: "c1", available: true, priority: 0, boundAt: 1 }, 10);
    await store.heartbeat("gw-1", 60_000);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 3_600_000);
      expect(await store.deadGateways()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
