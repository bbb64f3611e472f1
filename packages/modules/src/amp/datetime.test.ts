import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseUtcDateTime } from "./datetime.ts";

describe("parseUtcDateTime (DP-20)", () => {
  it.each([
    ["2004-01-01T00:00:00Z", Date.UTC(2004, 0, 1)],
    ["2004-01-01T00:00:00+00:00", Date.UTC(2004, 0, 1)],
    ["2004-01-01T00:00:00-00:00", Date.UTC(2004, 0, 1)],
    ["2024-02-29T23:59:59.5Z", Date.UTC(2024, 1, 29, 23, 59, 59, 500)],
    ["2030-06-15T12:30:45.123456789Z", Date.UTC(2030, 5, 15, 12, 30, 45, 124)],
    ["2030-06-15T12:30:45.1230000Z", Date.UTC(2030, 5, 15, 12, 30, 45, 123)],
    ["2030-06-15T12:30:45.9999Z", Date.UTC(2030, 5, 15, 12, 30, 46, 0)],
    ["2000-02-29T00:00:00Z", Date.UTC(2000, 1, 29)],
    ["0001-01-01T00:00:00Z", -62135596800000],
  ])("%s -> %d", (text, ms) => {
    expect(parseUtcDateTime(text)).toBe(ms);
  });

  it.each([
    "2004-01-01T00:00:00", // no zone
    "2004-01-01T00:00:00+01:00",
    "2004-01-01T00:00:00+0000",
    "2004-01-01T00:00:00z",
    "2004-01-01 00:00:00Z",
    "2004-01-01T00:00Z",
    "2004-01-01T00:00:00.Z",
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2004-04-31T00:00:00Z",
    "2004-13-01T00:00:00Z",
    "2004-00-10T00:00:00Z",
    "2004-01-00T00:00:00Z",
    "2004-01-01T24:00:00Z",
    "2004-01-01T00:60:00Z",
    "2004-01-01T00:00:60Z",
    "0000-01-01T00:00:00Z",
    "20040-01-01T00:00:00Z",
    " 2004-01-01T00:00:00Z",
    "2004-01-01T00:00:00Z ",
    "",
    "tomorrow",
  ])("rejects %j", (text) => {
    expect(parseUtcDateTime(text)).toBeNull();
  });

  it("round-trips every millisecond instant written by toISOString", () => {
    const min = Date.UTC(1970, 0, 1);
    const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    fc.assert(fc.property(fc.integer({ min, max }), (ms) => parseUtcDateTime(new Date(ms).toISOString()) === ms));
  });

  it("never throws", () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const v = parseUtcDateTime(s);
      return v === null || Number.isFinite(v);
    }));
  });
});
