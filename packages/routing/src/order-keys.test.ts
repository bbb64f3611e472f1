import { describe, it, expect } from "vitest";
import { createOrderKeys } from "./order-keys.ts";

describe("order keys", () => {
  it("sort in creation order, within one millisecond and when the clock steps back", () => {
    const times = [1000, 1000, 1000, 999, 2000, 1500, 30000];
    const next = createOrderKeys(() => times.shift() ?? 0);
    const keys = Array.from({ length: 7 }, () => next());
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
