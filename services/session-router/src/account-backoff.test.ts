import { describe, expect, it } from "vitest";
import { createAccountBackoff } from "./account-backoff.ts";

describe("account back-off", () => {
  it("delays the answers after 3 failures in 15 minutes, doubling up to the maximum", () => {
    let t = 0;
    const backoff = createAccountBackoff(4000, () => t);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => backoff.failed("juliet@example.com"))).toEqual([0, 0, 0, 500, 1000, 2000, 4000, 4000]);
    expect(backoff.failed("romeo@example.com")).toBe(0); // per account
    t = 15 * 60_000 + 1;
    expect(backoff.failed("juliet@example.com")).toBe(0); // the old failures have aged out
  });

  it("never delays with a maximum of 0", () => {
    const backoff = createAccountBackoff(0);
    expect([1, 2, 3, 4, 5].map(() => backoff.failed("a@b"))).toEqual([0, 0, 0, 0, 0]);
  });
});
