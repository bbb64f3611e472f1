import { describe, expect, it } from "vitest";
import { randomSuffix, uniqueId } from "./ids.ts";

describe("uniqueId", () => {
  it("gives distinct valid cluster names", () => {
    const ids = Array.from({ length: 200 }, () => uniqueId("t-"));
    for (const id of ids) expect(id).toMatch(/^t-[a-z0-9]{10}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("shortens the random part for long prefixes and refuses what cannot fit", () => {
    expect(uniqueId("a".repeat(25))).toMatch(/^a{25}[a-z0-9]{6}$/);
    expect(() => uniqueId("a".repeat(26))).toThrow(/at most 25/);
    expect(() => uniqueId("Bad")).toThrow(/lowercase/);
  });

  it("uses every letter and digit", () => {
    const seen = new Set(randomSuffix(5000));
    expect(seen.size).toBe(36);
  });
});
