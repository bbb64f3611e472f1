import { describe, it, expect } from "vitest";
import { TokenBucket } from "./token-bucket.ts";

describe("TokenBucket", () => {
  it("allows the burst, then asks to wait for the debt at the sustained rate", () => {
    let t = 0;
    const bucket = new TokenBucket(100, 200, () => t);
    expect(bucket.take(200)).toBe(0);
    expect(bucket.take(50)).toBe(500);
    t = 500;
    expect(bucket.take(0)).toBe(0);
  });

  it("never accumulates more than the burst", () => {
    let t = 0;
    const bucket = new TokenBucket(10, 20, () => t);
    t = 60_000;
    expect(bucket.take(20)).toBe(0);
    expect(bucket.take(10)).toBe(1000);
  });
});
