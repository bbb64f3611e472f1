import { describe, expect, it } from "vitest";
import { prepareResourcepart } from "./resourcepart.ts";

describe("prepareResourcepart (OpaqueString)", () => {
  it("keeps case, symbols, compatibility characters and fullwidth forms", () => {
    expect(prepareResourcepart("Balcony ♚ Ⅳ ＡＢ")).toBe("Balcony ♚ Ⅳ ＡＢ");
  });

  it("maps non-ASCII spaces to U+0020 and normalises to NFC", () => {
    expect(prepareResourcepart("a\u00a0b\u3000c\u2009d")).toBe("a b c d");
    expect(prepareResourcepart("e\u0301")).toBe("é");
  });

  it("rejects controls, ignorables and unassigned code points", () => {
    expect(() => prepareResourcepart("a\tb")).toThrow("resourcepart contains a disallowed character U+0009");
    expect(() => prepareResourcepart("a\u200bb")).toThrow("U+200B");
    expect(() => prepareResourcepart("a\ufeff")).toThrow("U+FEFF");
    expect(() => prepareResourcepart("a\u{e0001}")).toThrow("U+E0001");
    expect(() => prepareResourcepart("\u0378")).toThrow("resourcepart contains an unassigned character U+0378");
  });
});
