import { describe, expect, it } from "vitest";
import { partitionOf } from "./partition.ts";
import { subjects } from "./subjects.ts";

describe("work-queue partitions", () => {
  it("maps a key to the same partition every time, within the count", () => {
    for (const key of ["alice@example.com", "bücher@example.com", ""]) {
      const p = partitionOf(key, 8);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(8);
      expect(partitionOf(key, 8)).toBe(p);
    }
    // FNV-1a 32-bit of "a" is 0xe40c292c.
    expect(partitionOf("a", 1000)).toBe(0xe40c292c % 1000);
  });

  it("spreads many keys over every partition", () => {
    const seen = new Set(Array.from({ length: 400 }, (_, i) => partitionOf(`user${i}@example.com`, 8)));
    expect(seen.size).toBe(8);
  });

  it("names one filter and durable per partition, matching the work subjects", () => {
    const s = subjects("xmpp");
    expect(s.ampPartitions(2)).toEqual([
      { filter: "xmpp.v1.amp.p0.>", durable: "amp-workers-p0" },
      { filter: "xmpp.v1.amp.p1.>", durable: "amp-workers-p1" },
    ]);
    expect(s.ampWork("flush", 1)).toBe("xmpp.v1.amp.p1.flush");
    expect(() => s.ampPartitions(0)).toThrow(/invalid partition count/);
  });
});
