import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeGlob, escapeKeyPart } from "./key-escape.ts";

describe("escapeKeyPart", () => {
  it("escapes separators, hash-tag braces, glob characters and '%'", () => {
    expect(escapeKeyPart("a{b}:c*d?e[f]g\\h%i j\n")).toBe("a%7Bb%7D%3Ac%2Ad%3Fe%5Bf%5Dg%5Ch%25i%20j%0A");
    expect(escapeKeyPart("jülia@例え.jp")).toBe("jülia@例え.jp");
  });

  it("is injective and leaves no special character behind", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => {
      const [ea, eb] = [escapeKeyPart(a), escapeKeyPart(b)];
      expect(/[{}:*?[\]\\\s]/.test(ea)).toBe(false);
      if (a !== b) expect(ea).not.toBe(eb);
    }));
  });
});

describe("escapeGlob", () => {
  it("makes glob characters literal", () => {
    expect(escapeGlob("p:[*]?\\")).toBe("p:\\[\\*\\]\\?\\\\");
  });
});
