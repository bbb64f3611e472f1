// Domainpart preparation, RFC 7622 §3.2: IP literals are kept; names go through UTS-46
// (nontransitional) and are kept in Unicode form, the form RFC 7622 §3.2.2 compares.
import { createRequire } from "node:module";
import { isIPv4, isIPv6 } from "node:net";
import { domainToASCII } from "node:url";
import { checkInputLength, checkLength, JidError } from "./errors.ts";

const UTS46 = {
  checkHyphens: true,
  checkBidi: true,
  checkJoiners: true,
  useSTD3ASCIIRules: true, // IDNA2008 allows only letters, digits and hyphens in ASCII labels
  transitionalProcessing: false,
} as const;

// Letter-digit-hyphen names that UTS-46 would return unchanged apart from lower-casing: no
// leading or trailing hyphen, no "--" in positions 3-4 (which includes "xn--" A-labels).
const LDH_LABEL = "(?![a-z0-9]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const LDH_NAME = new RegExp(`^${LDH_LABEL}(?:\\.${LDH_LABEL})*$`);
const ASCII_LETTERS_DIGITS_DOTS = /^[A-Za-z0-9.-]+$/;
const NON_ASCII = /[^\x00-\x7f]/;

function ipLiteral(input: string): string {
  const inner = input.endsWith("]") ? input.slice(1, -1) : "";
  if (!isIPv6(inner)) throw new JidError("domainpart", "is not a valid IPv6 literal");
  return `[${inner.toLowerCase()}]`;
}

/**
 * DNS limits on the ASCII form of every label (RFC 5890 §2.3.2.1): 1..63 octets. Labels are
 * already valid U-labels here, so only their Punycode length is needed; node's domainToASCII
 * (also UTS-46) computes it per label several times faster than a second tr46 pass.
 */
function checkLabels(unicodeName: string): void {
  for (const label of unicodeName.split(".")) {
    if (label === "") throw new JidError("domainpart", "contains an empty label");
    const ascii = NON_ASCII.test(label) ? domainToASCII(label) : label;
    if (ascii === "") throw new JidError("domainpart", "has a label with no valid ASCII form");
    if (ascii.length > 63) throw new JidError("domainpart", `has a label of ${ascii.length} octets (at most 63)`);
  }
}

// tr46 builds its Unicode mapping table when loaded, about 1 MiB of heap for the life of the
// process; most domains take the LDH fast path below, so it is loaded for the first other one.
const require = createRequire(import.meta.url);
let tr46: typeof import("tr46") | undefined;

function idnaName(input: string): string {
  tr46 ??= require("tr46") as typeof import("tr46");
  const { domain, error } = tr46.toUnicode(input, UTS46);
  if (error) throw new JidError("domainpart", "is not a valid internationalized domain name (UTS-46)");
  checkLabels(domain);
  return domain;
}

/** Fast path: a valid LDH name, which UTS-46 would only lower-case. Labels are 1..63 by the pattern. */
function ldhName(input: string): string | null {
  if (!ASCII_LETTERS_DIGITS_DOTS.test(input)) return null;
  const lower = input.toLowerCase();
  return LDH_NAME.test(lower) ? lower : null;
}

// Most JIDs name one of a few domains: a result equal to the last one is answered with that same
// string, so the JIDs kept (one per connection in the router) share it instead of each holding a
// copy of its own (32 B for "localhost").
let last = "";

export function prepareDomainpart(input: string): string {
  // RFC 7622 §3.2: one trailing label separator is stripped before anything else.
  const name = input.endsWith(".") ? input.slice(0, -1) : input;
  if (name === "") throw new JidError("domainpart", "is empty");
  checkInputLength(name, "domainpart");
  if (name.startsWith("[")) return ipLiteral(name);
  if (isIPv4(name)) return name;
  const out = ldhName(name) ?? idnaName(name);
  if (out === last) return last;
  checkLength(out, "domainpart");
  return (last = out);
}
