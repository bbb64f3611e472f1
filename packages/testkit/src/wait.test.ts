import { describe, expect, it } from "vitest";
import { waitFor } from "./wait.ts";

describe("waitFor", () => {
  it("resolves with the first truthy value, retrying through throws", async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls += 1;
        if (calls === 1) throw new Error("not yet");
        return calls >= 3 ? { calls } : null;
      },
      { timeoutMs: 2000, intervalMs: 5 },
    );
    expect(value).toEqual({ calls: 3 });
  });

  it("times out with the last error as cause", async () => {
    const started = Date.now();
    const failure = waitFor(async () => Promise.reject(new Error("still down")), { timeoutMs: 100, intervalMs: 10, what: "redis" });
    await expect(failure).rejects.toThrow("waitFor: redis not met within 100 ms");
    await expect(failure).rejects.toHaveProperty("cause.message", "still down");
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
