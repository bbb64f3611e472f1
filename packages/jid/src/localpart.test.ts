import { describe, expect, it } from "vitest";
import { prepareLocalpart } from "./localpart.ts";

describe("prepareLocalpart (UsernameCaseMapped)", () => {
  it("maps fullwidth and halfwidth forms to their decompositions", () => {
    expect(prepareLocalpart("ＪＵＬＩＥＴ")).toBe("juliet");
    expect(prepareLocalpart("ｶ")).toBe("カ");
  });

  it("lower-cases with Unicode toLowerCase, then normalises to NFC", () => {
    expect(prepareLocalpart("ÄÖÜ")).toBe("äöü");
    expect(prepareLocalpart("A\u0308")).toBe("ä"); // decomposed input is composed
    expect(prepareLocalpart("ΟΔΟΣ")).toBe("οδος"); // final sigma
    expect(prepareLocalpart("ß")).toBe("ß"); // not folded to "ss"
  });

  it("rejects what the IdentifierClass disallows", () => {
    expect(() => prepareLocalpart("a\u00a0b")).toThrow("localpart contains a disallowed character U+00A0");
    expect(() => prepareLocalpart("ｘ\u3000")).toThrow("localpart contains a disallowed character U+0020");
    expect(() => prepareLocalpart("a\u0007")).toThrow("U+0007");
    expect(() => prepareLocalpart("a\u00ad")).toThrow("U+00AD"); // default ignorable
    expect(() => prepareLocalpart("\u2163")).toThrow("U+2163"); // compatibility equivalent
    expect(() => prepareLocalpart("a\u{10ffff}")).toThrow("U+10FFFF"); // noncharacter
    expect(() => prepareLocalpart("a\u0378")).toThrow("localpart contains an unassigned character U+0378");
    expect(() => prepareLocalpart("\u1100\u1161")).toThrow("U+1100"); // old Hangul jamo
    expect(() => prepareLocalpart("a\ud800")).toThrow("U+D800"); // lone surrogate
  });

  it("rejects the characters RFC 7622 §3.3.1 forbids", () => {
    for (const ch of `"&'/:<>@`) {
      const cp = ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      expect(() => prepareLocalpart(`a${ch}b`)).toThrow(`localpart contains a disallowed character U+${cp}`);
    }
  });

  it("applies the Bidi Rule to right-to-left usernames", () => {
    expect(prepareLocalpart("שלום")).toBe("שלום");
    expect(prepareLocalpart("سلام1")).toBe("سلام1");
    expect(() => prepareLocalpart("שa")).toThrow("condition 2 of the Bidi Rule");
    expect(() => prepareLocalpart("aש")).toThrow("condition 5 of the Bidi Rule");
    expect(() => prepareLocalpart("1ש")).toThrow("condition 1 of the Bidi Rule");
  });
});
