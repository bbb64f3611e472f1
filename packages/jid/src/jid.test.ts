import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Jid } from "./jid.ts";
import { parseJid, tryParseJid } from "./parse.ts";

describe("Jid", () => {
  it("formats and compares its parts", () => {
    const full = parseJid("juliet@example.com/balcony");
    expect(full.isBare()).toBe(false);
    expect(full.bareString()).toBe("juliet@example.com");
    expect(full.bare().toString()).toBe("juliet@example.com");
    expect(full.bare().isBare()).toBe(true);
    const bare = full.bare();
    expect(bare.bare()).toBe(bare);
    expect(full.equals(new Jid("juliet", "example.com", "balcony"))).toBe(true);
    expect(full.equals(full.bare())).toBe(false);
    expect(parseJid("example.com").toString()).toBe("example.com");
    expect(parseJid("example.com/r").bareString()).toBe("example.com");
  });
});

// Characters that exercise every preparation step, mixed with arbitrary code points.
const interesting = fc.constantFrom(
  ..."aZ0.-_@/ßΣσςİÄä\u0308\u00a0\u3000ＡＢｶﾞ\u200c\u200d\u00b7lא١۱♚Ⅳ\u0301\u1100\ufb01ǅ\u212a".split(""),
);
const unit = fc.oneof(
  { weight: 4, arbitrary: interesting },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);
const part = fc.string({ unit, minLength: 1, maxLength: 8 });
const label = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom("example", "EXAMPLE", "xn--4ca0bs", "ÄÖÜ", "faß", "Ｅ", "مثال") },
  { weight: 1, arbitrary: part },
);
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join("."));
const jidText = fc
  .tuple(fc.option(part), domain, fc.option(part))
  .map(([l, d, r]) => `${l === null ? "" : `${l}@`}${d}${r === null ? "" : `/${r}`}`);

describe("parseJid property", () => {
  it("is idempotent: parsing the canonical string gives the same JID", () => {
    let parsed = 0;
    fc.assert(
      fc.property(jidText, (text) => {
        const jid = tryParseJid(text);
        if (jid === null) return;
        parsed++;
        const again = parseJid(jid.toString());
        expect(again.equals(jid), `${text} -> ${jid.toString()} -> ${again.toString()}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
    expect(parsed).toBeGreaterThan(150); // the generator must reach valid JIDs, not just errors
  });
});
