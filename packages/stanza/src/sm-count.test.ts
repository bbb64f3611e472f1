import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseH, unwrapH, wrapH } from "./sm-count.ts";

describe("XEP-0198 h arithmetic", () => {
  it("unwraps h past 2^32", () => {
    expect(unwrapH(5, 3)).toBe(5);
    expect(unwrapH(3, 3)).toBe(3);
    expect(unwrapH(1, 2 ** 32 - 2)).toBe(2 ** 32 + 1);
    expect(unwrapH(0, 2 ** 32)).toBe(2 ** 32);
    expect(unwrapH(2, 3 * 2 ** 32 + 1)).toBe(3 * 2 ** 32 + 2);
  });

  it("round-trips any count at most 2^32-1 ahead of the last acknowledged one", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (acked, ahead) => {
      expect(unwrapH(wrapH(acked + ahead), acked)).toBe(acked + ahead);
    }));
  });

  it("parses only decimal integers below 2^32", () => {
    expect(parseH("0")).toBe(0);
    expect(parseH("4294967295")).toBe(4294967295);
    expect(parseH("4294967296")).toBeNull();
    expect(parseH("-1")).toBeNull();
    expect(parseH("1e3")).toBeNull();
    expect(parseH(undefined)).toBeNull();
  });
});
