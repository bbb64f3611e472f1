import { unicodeTables as t } from "./unicode-tables.ts";

/**
 * The "Bidi Rule" of RFC 5893 §2, applied to a whole string (RFC 8265 §3.3.2 step 5 applies
 * it to usernames that contain right-to-left code points). Returns the number of the
 * condition that fails, or 0 when the string passes.
 */
export function bidiRuleViolation(text: string): number {
  // Strings without R, AL or AN characters are left-to-right only: the rule does not apply.
  if (!t.bidiDomain.test(text)) return 0;
  const first = String.fromCodePoint(text.codePointAt(0) ?? 0);
  if (t.bidiS1RTL.test(first)) {
    if (!t.bidiS2.test(text)) return 2;
    if (!t.bidiS3.test(text)) return 3;
    if (t.bidiS4EN.test(text) && t.bidiS4AN.test(text)) return 4;
    return 0;
  }
  if (!t.bidiS1LTR.test(first)) return 1;
  if (!t.bidiS5.test(text)) return 5;
  if (!t.bidiS6.test(text)) return 6;
  return 0;
}
