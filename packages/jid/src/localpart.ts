// Localpart preparation: the PRECIS UsernameCaseMapped profile (RFC 8265 §3.3) plus the
// characters RFC 7622 §3.3.1 forbids in localparts.
import { bidiRuleViolation } from "./bidi-rule.ts";
import { checkInputLength, checkLength, codePointName, JidError } from "./errors.ts";
import { classViolation } from "./precis-class.ts";

const ASCII_IDENTIFIER = /^[\x21-\x7e]+$/;
// Width mapping (RFC 8265 §3.3.2 step 1) maps each code point with a <wide> or <narrow>
// decomposition to that decomposition. Those are U+3000 and the Halfwidth and Fullwidth Forms
// block; for each of them NFKC yields exactly its decomposition.
const WIDE_OR_NARROW = /[\u3000\uff01-\uffee]/gu;
// RFC 7622 §3.3.1: " & ' / : < > @ are allowed by the IdentifierClass but not in a localpart.
const FORBIDDEN = /["&'/:<>@]/;

function mapWidth(text: string): string {
  return text.replace(WIDE_OR_NARROW, (ch) => ch.normalize("NFKC"));
}

function checkIdentifier(text: string): void {
  const violation = classViolation(text, "identifier");
  if (violation === null) return;
  const what = violation.problem === "unassigned" ? "an unassigned" : "a disallowed";
  throw new JidError("localpart", `contains ${what} character ${codePointName(violation.codePoint)}`);
}

/**
 * Enforces UsernameCaseMapped. The class is checked after width mapping (preparation, RFC
 * 8265 §3.3.2, so errors name the code point the user typed) and again on the final string,
 * which is what is stored and compared. Case mapping uses String.prototype.toLowerCase: the
 * locale-independent Unicode toLowerCase() that RFC 8265 §3.3.2 step 3 names (full mappings,
 * final sigma included), not Default Case Folding. NFC follows because lower-casing can
 * denormalise.
 */
export function prepareLocalpart(input: string): string {
  if (input === "") throw new JidError("localpart", "is empty");
  checkInputLength(input, "localpart");
  let out: string;
  if (ASCII_IDENTIFIER.test(input)) {
    out = input.toLowerCase(); // every printable ASCII character is PVALID (RFC 8264 §9.11)
  } else {
    const widthMapped = mapWidth(input);
    checkIdentifier(widthMapped);
    out = widthMapped.toLowerCase().normalize("NFC");
    checkIdentifier(out);
    const rule = bidiRuleViolation(out);
    if (rule !== 0) throw new JidError("localpart", `violates condition ${rule} of the Bidi Rule (RFC 5893)`);
  }
  const forbidden = FORBIDDEN.exec(out);
  if (forbidden) {
    throw new JidError("localpart", `contains a disallowed character ${codePointName(forbidden[0].charCodeAt(0))}`);
  }
  checkLength(out, "localpart");
  return out;
}
