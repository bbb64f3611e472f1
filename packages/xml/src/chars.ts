// Character classes of XML 1.0 (5th edition) and reference decoding, for the strict parser.
import { notWellFormed, restricted } from "./errors.ts";

// ASCII name table: 1 = NameStartChar, 2 = NameChar only.
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) ASCII_NAME[c] = 1;
  else if (/[0-9.-]/.test(ch)) ASCII_NAME[c] = 2;
}

// XML 1.0 §2.3 NameStartChar above ASCII, on UTF-16 code units (surrogates stand for
// #x10000-#xEFFFF; pairing is checked once per document by isWellFormed()).
function isNameStartHigh(c: number): boolean {
  return (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xd800 && c <= 0xdb7f) || (c >= 0xdc00 && c <= 0xdfff) ||
    (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd);
}

function isNameCharHigh(c: number): boolean {
  return c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040 || isNameStartHigh(c);
}

/** Index just past the XML Name starting at `pos` (== pos when there is none). */
export function scanName(text: string, pos: number): number {
  const first = text.charCodeAt(pos);
  if (!(first < 128 ? ASCII_NAME[first] === 1 : isNameStartHigh(first))) return pos;
  let i = pos + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c < 128 ? ASCII_NAME[c] !== 0 : c === c && isNameCharHigh(c)) i++;
    else return i;
  }
}

export function isName(text: string): boolean {
  return text.length > 0 && scanName(text, 0) === text.length;
}

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

export function skipSpace(text: string, pos: number): number {
  while (isSpace(text.charCodeAt(pos))) pos++;
  return pos;
}

// XML 1.0 §2.2 Char excludes these; surrogate pairing is checked separately.
const ILLEGAL_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

/** Throws not-well-formed if the text holds a character XML 1.0 forbids. */
export function checkChars(text: string): void {
  const wellFormed = (text as unknown as { isWellFormed(): boolean }).isWellFormed();
  if (!wellFormed || ILLEGAL_CHAR.test(text)) throw notWellFormed("character not allowed in XML 1.0 (§2.2)");
}

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function resolveReference(ref: string): string {
  const predefined = PREDEFINED[ref];
  if (predefined !== undefined && Object.hasOwn(PREDEFINED, ref)) return predefined;
  if (/^#[0-9]{1,8}$/.test(ref) || /^#x[0-9a-fA-F]{1,8}$/.test(ref)) {
    const code = ref[1] === "x" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    if (!isXmlChar(code)) throw notWellFormed(`character reference &${ref}; is not an XML character`);
    return String.fromCodePoint(code);
  }
  // RFC 6120 §11.1: only the five predefined entities; anything else is never expanded.
  if (isName(ref)) throw restricted(`entity reference &${ref}; is not allowed`);
  throw notWellFormed("'&' must start a character or entity reference");
}

/** Replaces the references in character data or an attribute value; rejects all others. */
export function decodeReferences(raw: string, from: number): string {
  let out = "";
  let last = 0;
  let amp = from;
  while (amp !== -1) {
    const semi = raw.indexOf(";", amp + 1);
    if (semi === -1) throw notWellFormed("'&' must start a character or entity reference");
    out += raw.slice(last, amp) + resolveReference(raw.slice(amp + 1, semi));
    last = semi + 1;
    amp = raw.indexOf("&", last);
  }
  return out + raw.slice(last);
}
