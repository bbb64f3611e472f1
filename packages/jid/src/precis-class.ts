// Derived property values of the PRECIS string classes, RFC 8264 §8, computed from the
// regular-expression engine's Unicode tables (General_Category and binary properties).
import { contextRuleHolds } from "./precis-context.ts";

export type StringClass = "identifier" | "freeform";

type Derived = "PVALID" | "ID_DIS" | "CONTEXTJ" | "CONTEXTO" | "DISALLOWED" | "UNASSIGNED";

// RFC 8264 §9.6 reuses the Exceptions of RFC 5892 §2.6 (a fixed list in the RFC itself).
const EXCEPTIONS = new Map<number, Derived>();
for (const cp of [0xdf, 0x3c2, 0x6fd, 0x6fe, 0xf0b, 0x3007]) EXCEPTIONS.set(cp, "PVALID");
for (const cp of [0xb7, 0x375, 0x5f3, 0x5f4, 0x30fb]) EXCEPTIONS.set(cp, "CONTEXTO");
for (let cp = 0x660; cp <= 0x669; cp++) EXCEPTIONS.set(cp, "CONTEXTO");
for (let cp = 0x6f0; cp <= 0x6f9; cp++) EXCEPTIONS.set(cp, "CONTEXTO");
for (const cp of [0x640, 0x7fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b]) {
  EXCEPTIONS.set(cp, "DISALLOWED");
}

const UNASSIGNED = /\p{Cn}/u;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;
const JOIN_CONTROL = /\p{Join_Control}/u;
// PrecisIgnorableProperties (§9.13) and Controls (§9.12).
const IGNORABLE_OR_CONTROL = /[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\p{Cc}]/u;
// LetterDigits (§9.1).
const LETTER_DIGITS = /[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]/u;
// OtherLetterDigits, Spaces, Symbols, Punctuation (§9.14–§9.17): FreeformClass only.
const FREEFORM_ONLY = /[\p{Lt}\p{Nl}\p{No}\p{Me}\p{Zs}\p{Sm}\p{Sc}\p{Sk}\p{So}\p{P}]/u;

/**
 * OldHangulJamo (RFC 5892 §2.9): Hangul_Syllable_Type L, V or T. JavaScript cannot name that
 * property; these six blocks are exactly its extent and are stable by Unicode policy.
 */
function isOldHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97c) || (cp >= 0xd7b0 && cp <= 0xd7fb);
}

/** The algorithm of RFC 8264 §8, in its order. */
function derive(ch: string, cp: number): Derived {
  const exception = EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  if (UNASSIGNED.test(ch)) return NONCHARACTER.test(ch) ? "DISALLOWED" : "UNASSIGNED";
  if (cp >= 0x21 && cp <= 0x7e) return "PVALID"; // ASCII7
  if (JOIN_CONTROL.test(ch)) return "CONTEXTJ";
  if (isOldHangulJamo(cp)) return "DISALLOWED";
  if (IGNORABLE_OR_CONTROL.test(ch)) return "DISALLOWED";
  if (ch.normalize("NFKC") !== ch) return "ID_DIS"; // HasCompat (§9.9)
  if (LETTER_DIGITS.test(ch)) return "PVALID";
  if (FREEFORM_ONLY.test(ch)) return "ID_DIS";
  return "DISALLOWED";
}

export interface ClassViolation {
  codePoint: number;
  problem: "disallowed" | "unassigned";
}

/**
 * Checks that every code point of `text` is allowed in the string class (RFC 8264 §4.2.2 for
 * IdentifierClass, §4.3.2 for FreeformClass), including the contextual rules of RFC 5892
 * Appendix A. Returns the first offending code point, or null.
 */
export function classViolation(text: string, cls: StringClass): ClassViolation | null {
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    const codePoint = ch.codePointAt(0) as number;
    const derived = derive(ch, codePoint);
    if (derived === "PVALID") continue;
    if (derived === "ID_DIS" && cls === "freeform") continue;
    if ((derived === "CONTEXTJ" || derived === "CONTEXTO") && contextRuleHolds(chars, i)) continue;
    return { codePoint, problem: derived === "UNASSIGNED" ? "unassigned" : "disallowed" };
  }
  return null;
}
