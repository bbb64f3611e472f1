// Resourcepart preparation: the PRECIS OpaqueString profile (RFC 8265 §4.2).
import { checkInputLength, checkLength, codePointName, JidError } from "./errors.ts";
import { classViolation } from "./precis-class.ts";

const ASCII_FREEFORM = /^[\x20-\x7e]+$/;
// RFC 8265 §4.2.2 step 2: non-ASCII spaces (Zs other than U+0020) map to U+0020.
const NON_ASCII_SPACE = /(?!\x20)\p{Zs}/gu;

/** Enforces OpaqueString: no width or case mapping, spaces mapped, NFC, FreeformClass. */
export function prepareResourcepart(input: string): string {
  if (input === "") throw new JidError("resourcepart", "is empty");
  checkInputLength(input, "resourcepart");
  if (ASCII_FREEFORM.test(input)) {
    // Printable ASCII and space are all allowed and unchanged, but still bounded (RFC 7622 §3.4).
    checkLength(input, "resourcepart");
    return input;
  }
  const out = input.replace(NON_ASCII_SPACE, " ").normalize("NFC");
  const violation = classViolation(out, "freeform");
  if (violation) {
    throw new JidError("resourcepart", `contains ${violation.problem === "unassigned" ? "an unassigned" : "a disallowed"} character ${codePointName(violation.codePoint)}`);
  }
  checkLength(out, "resourcepart");
  return out;
}
