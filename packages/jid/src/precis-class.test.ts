import { describe, expect, it } from "vitest";
import { classViolation } from "./precis-class.ts";

const ok = (text: string, cls: "identifier" | "freeform" = "identifier") => classViolation(text, cls) === null;

describe("classViolation", () => {
  it("separates IdentifierClass from FreeformClass", () => {
    for (const text of ["a b", "♚", "Ⅳ", "ǅ", "!"]) expect(ok(text, "freeform"), text).toBe(true);
    for (const text of ["a b", "♚", "Ⅳ", "ǅ"]) expect(ok(text), text).toBe(false);
    expect(ok("abc123ÿπж中")).toBe(true);
  });

  it("applies the RFC 5892 exceptions", () => {
    expect(ok("ß\u03c2\u3007")).toBe(true); // PVALID exceptions
    expect(ok("\u0640")).toBe(false); // ARABIC TATWEEL is DISALLOWED
  });

  it("applies the contextual rules of RFC 5892 Appendix A", () => {
    expect(ok("l\u00b7l")).toBe(true);
    expect(ok("a\u00b7l")).toBe(false);
    expect(ok("\u0375\u03b1")).toBe(true);
    expect(ok("\u0375a")).toBe(false);
    expect(ok("\u05d0\u05f3")).toBe(true);
    expect(ok("a\u05f3")).toBe(false);
    expect(ok("\u30fb\u30a2")).toBe(true);
    expect(ok("\u30fba")).toBe(false);
    expect(ok("\u0661\u0662")).toBe(true);
    expect(ok("\u0661\u06f2")).toBe(false);
    expect(ok("\u0915\u094d\u200d")).toBe(true); // ZWJ after a virama
    expect(ok("a\u200db")).toBe(false);
    expect(ok("\u0628\u200c\u0628")).toBe(true); // ZWNJ between dual-joining letters
    expect(ok("a\u200cb")).toBe(false);
  });
});
