import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prepareSecret, saslprep } from "./text.ts";

const library = (createRequire(import.meta.url)("@mongodb-js/saslprep") as { saslprep: (text: string) => string }).saslprep;
const outcome = (fn: () => string) => {
  try {
    return fn();
  } catch {
    return "(refused)";
  }
};

describe("saslprep", () => {
  it("agrees with the library on printable ASCII, which it passes through without loading it", () => {
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1 }), (s) => {
      expect(saslprep(s)).toBe(s);
      expect(outcome(() => library(s))).toBe(s);
    }));
  });

  it("agrees with the library on every other string", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (s) => {
      expect(outcome(() => saslprep(s))).toBe(outcome(() => library(s)));
    }));
    for (const s of ["a\u00a0b", "I\u00adX", "\u2168", "a\u0007", "\u0627\u0031", "\u0627x\u0627"]) expect(outcome(() => saslprep(s)), s).toBe(outcome(() => library(s)));
  });

  it("prepareSecret: RFC 4013 §3 examples", () => {
    expect(prepareSecret("I\u00adX")).toBe("IX");
    expect(prepareSecret("user")).toBe("user");
    expect(prepareSecret("\u00aa")).toBe("a");
    expect(prepareSecret("\u2168")).toBe("IX");
    expect(prepareSecret("\u0007")).toBeNull();
    expect(prepareSecret("\u0627\u0031")).toBeNull();
    expect(prepareSecret("")).toBeNull();
  });
});
