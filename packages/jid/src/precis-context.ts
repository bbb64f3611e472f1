// Contextual rules of RFC 5892 Appendix A, which PRECIS applies to CONTEXTJ and CONTEXTO code
// points (RFC 8264 §9.7, §9.8). A code point without a rule here is not allowed.
import { unicodeTables } from "./unicode-tables.ts";

const GREEK = /\p{Script=Greek}/u;
const HEBREW = /\p{Script=Hebrew}/u;
const KANA_OR_HAN = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;
const ARABIC_INDIC = /[\u0660-\u0669]/u;
const EXTENDED_ARABIC_INDIC = /[\u06f0-\u06f9]/u;

function isVirama(ch: string | undefined): boolean {
  return ch !== undefined && unicodeTables.combiningClassVirama.test(ch);
}

/** A.1: the ZWNJ between joining characters, tested on the text between neighbouring ZWNJs. */
function zwnjJoins(chars: string[], i: number): boolean {
  let start = i;
  while (start > 0 && chars[start - 1] !== "\u200c") start--;
  let end = i + 1;
  while (end < chars.length && chars[end] !== "\u200c") end++;
  return unicodeTables.validZWNJ.test(chars.slice(start, end).join(""));
}

/** True when the code point at `i` satisfies its RFC 5892 Appendix A rule. */
export function contextRuleHolds(chars: string[], i: number): boolean {
  const ch = chars[i] as string;
  const before = chars[i - 1];
  const after = chars[i + 1];
  switch (ch) {
    case "\u200c": // A.1 ZERO WIDTH NON-JOINER
      return isVirama(before) || zwnjJoins(chars, i);
    case "\u200d": // A.2 ZERO WIDTH JOINER
      return isVirama(before);
    case "\u00b7": // A.3 MIDDLE DOT, only between two 'l' (Catalan)
      return before === "l" && after === "l";
    case "\u0375": // A.4 GREEK LOWER NUMERAL SIGN
      return after !== undefined && GREEK.test(after);
    case "\u05f3": // A.5 HEBREW PUNCTUATION GERESH
    case "\u05f4": // A.6 HEBREW PUNCTUATION GERSHAYIM
      return before !== undefined && HEBREW.test(before);
    case "\u30fb": // A.7 KATAKANA MIDDLE DOT
      return chars.some((c) => c !== "\u30fb" && KANA_OR_HAN.test(c));
  }
  const cp = ch.codePointAt(0) as number;
  if (cp >= 0x660 && cp <= 0x669) return !chars.some((c) => EXTENDED_ARABIC_INDIC.test(c)); // A.8
  if (cp >= 0x6f0 && cp <= 0x6f9) return !chars.some((c) => ARABIC_INDIC.test(c)); // A.9
  return false;
}
