import { describe, it, expect } from "vitest";
import { SaslThrottle } from "./sasl-throttle.ts";

describe("SaslThrottle", () => {
  it("throttles an IP after the configured failures and forgets them after 5 minutes", () => {
    let t = 0;
    const throttle = new SaslThrottle(2, () => t);
    throttle.recordFailure("10.0.0.1");
    expect(throttle.isThrottled("10.0.0.1")).toBe(false);
    throttle.recordFailure("10.0.0.1");
    expect(throttle.isThrottled("10.0.0.1")).toBe(true);
    expect(throttle.isThrottled("10.0.0.2")).toBe(false);
    t = 5 * 60_000;
    expect(throttle.isThrottled("10.0.0.1")).toBe(false);
  });

  it("counts over another window when given one (registrations per hour)", () => {
    let t = 0;
    const perHour = new SaslThrottle(1, () => t, 60 * 60_000);
    perHour.recordFailure("10.0.0.1");
    t = 59 * 60_000;
    expect(perHour.isThrottled("10.0.0.1")).toBe(true);
    t = 60 * 60_000;
    expect(perHour.isThrottled("10.0.0.1")).toBe(false);
  });
});
