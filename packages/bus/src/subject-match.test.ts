import { describe, it, expect } from "vitest";
import { compilePattern, matches } from "./subject-match.ts";

const m = (pattern: string, subject: string) => matches(compilePattern(pattern), subject);

describe("subject wildcards", () => {
  it("matches literal subjects exactly", () => {
    expect(m("a.b.c", "a.b.c")).toBe(true);
    expect(m("a.b.c", "a.b")).toBe(false);
    expect(m("a.b", "a.b.c")).toBe(false);
    expect(m("a.b", "a.bc")).toBe(false);
    expect(m("a.bc", "a.b")).toBe(false);
  });
  it("* matches exactly one token", () => {
    expect(m("a.*.c", "a.x.c")).toBe(true);
    expect(m("a.*", "a.x.c")).toBe(false);
    expect(m("a.*", "a")).toBe(false);
    expect(m("*", "a")).toBe(true);
  });
  it("> matches one or more trailing tokens", () => {
    expect(m("a.>", "a.b")).toBe(true);
    expect(m("a.>", "a.b.c.d")).toBe(true);
    expect(m("a.>", "a")).toBe(false);
    expect(m(">", "x.y")).toBe(true);
  });
  it("does not match empty tokens", () => {
    expect(m("a.*", "a.")).toBe(false);
    expect(m("a.>", "a.")).toBe(false);
  });
  it("rejects > before the last token and empty tokens", () => {
    expect(() => compilePattern("a.>.b")).toThrow(/last token/);
    expect(() => compilePattern("a..b")).toThrow(/empty token/);
  });
});
