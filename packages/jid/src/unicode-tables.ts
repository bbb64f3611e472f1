// Unicode properties that JavaScript regular expressions cannot name: Bidi_Class,
// Canonical_Combining_Class=Virama and Joining_Type. The tr46 package (already our UTS-46
// implementation) ships them as regular expressions generated from the Unicode Character
// Database, for the same RFC 5892/5893 rules we apply to localparts, so we reuse its tables
// rather than keep hand-written copies.
import { createRequire } from "node:module";

interface Tr46Tables {
  combiningClassVirama: RegExp;
  validZWNJ: RegExp;
  bidiDomain: RegExp;
  bidiS1LTR: RegExp;
  bidiS1RTL: RegExp;
  bidiS2: RegExp;
  bidiS3: RegExp;
  bidiS4EN: RegExp;
  bidiS4AN: RegExp;
  bidiS5: RegExp;
  bidiS6: RegExp;
}

const require = createRequire(import.meta.url);
const tables = require("tr46/lib/regexes.js") as Tr46Tables;

for (const [key, value] of Object.entries(tables)) {
  if (!(value instanceof RegExp) || value.global || value.sticky) {
    throw new Error(`tr46/lib/regexes.js: unexpected table ${key}`);
  }
}

export const unicodeTables: Readonly<Tr46Tables> = tables;
