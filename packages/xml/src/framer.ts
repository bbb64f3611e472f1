// The byte-level framer under StreamParser. It finds where each top-level unit (XML
// declaration, stream header, stanza, stream close tag) starts and ends in the raw bytes, so
// limits are enforced on raw bytes before anything is parsed (docs/architecture.md "Limits"): a unit
// larger than maxStanzaBytes is rejected at the end of the piece that crosses the limit, and
// depth/element counts are checked the moment a start tag opens.
//
// It also checks well-formedness as the bytes arrive (XML 1.0 §2.2 characters, §2.3 names, §3.1
// tags and attributes, §4.1 references, UTF-8 per RFC 6120 §11.6), so that input that can no
// longer become well-formed fails at once (RFC 6120 §4.9.3.13 not-well-formed) instead of
// waiting for more bytes until a timeout: `<<<garbage>>>` after the header used to open an
// element named `<<garbage` and wait for its end. What needs the whole element (namespace
// prefixes, the stream header's attributes) is left to the strict parser, which sees each unit
// the moment it completes. fuzz.test.ts checks this against a reference parser (saxes).
import { isUtf8 } from "node:buffer";
import { decodeReferences, isName } from "./chars.ts";
import { XmlError, XmlStreamError, type XmlErrorCondition } from "./errors.ts";

export type UnitKind = "decl" | "header" | "stanza" | "close";

export interface FramerSink {
  unit(kind: UnitKind, bytes: Buffer): void;
  fail(error: XmlStreamError): void;
}

export interface FramerLimits {
  readonly maxStanzaBytes: number;
  readonly maxDepth: number;
  readonly maxElements: number;
}

// States; those from LT to CDATA are inside a unit (see inUnit()).
const S = {
  START: 0,
  PROLOG: 1,
  BETWEEN: 2,
  LT: 3,
  BANG: 4,
  DECL: 5,
  STAG_NAME: 6,
  TAG: 7,
  ATTR_NAME: 8,
  ATTR_EQ: 9,
  ATTR_QUOTE: 10,
  ATTR_VALUE: 11,
  ATTR_REF: 12,
  EMPTY: 13,
  ETAG_START: 14,
  ETAG_NAME: 15,
  ETAG_SPACE: 16,
  TEXT: 17,
  TEXT_REF: 18,
  CDATA: 19,
  ENDED: 20,
  FAILED: 21,
} as const;

const C_LT = 0x3c, C_GT = 0x3e, C_SLASH = 0x2f, C_BANG = 0x21, C_QUESTION = 0x3f, C_EQ = 0x3d,
  C_QUOT = 0x22, C_APOS = 0x27, C_RSQB = 0x5d, C_AMP = 0x26, C_SEMI = 0x3b;
const CDATA_OPEN = Buffer.from("[CDATA[");
// U+FFFE and U+FFFF are valid UTF-8 but not XML characters (§2.2).
const NOT_CHARS = [Buffer.from("\uFFFE"), Buffer.from("\uFFFF")];

// Byte classes: 1 = ASCII NameStartChar, 2 = ASCII NameChar only, 3 = any byte >= 0x80 (part of
// a non-ASCII character; names holding one are checked by isName once decoded).
const NAME = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (c >= 0x80) NAME[c] = 3;
  else if (/[A-Za-z_:]/.test(ch)) NAME[c] = 1;
  else if (/[0-9.-]/.test(ch)) NAME[c] = 2;
}
// Bytes allowed in character data and attribute values as themselves: not the C0 controls but
// tab, LF and CR (§2.2).
const CONTROL = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) if (c !== 0x09 && c !== 0x0a && c !== 0x0d) CONTROL[c] = 1;

function isSpaceByte(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Where a multi-byte sequence that the buffer's end cuts short starts (the length if none). */
function incompleteTail(buf: Buffer): number {
  const n = buf.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = buf[i] as number;
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc0) return n;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return n - i < need ? i : n;
  }
  return n;
}

/** The offset of the first byte that makes `buf` invalid UTF-8 or not XML characters (buf.length if none). */
function firstBadByte(buf: Buffer): number {
  let bad = buf.length;
  if (!isUtf8(buf)) {
    // Rare: find the offending sequence so that the units before it still come out.
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i] as number;
      if (b < 0x80) continue;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
      if (need === 0 || i + need > buf.length || !isUtf8(buf.subarray(i, i + need))) {
        bad = i;
        break;
      }
      i += need - 1;
    }
  }
  for (const nc of NOT_CHARS) {
    const at = buf.indexOf(nc);
    if (at !== -1 && at < bad) bad = at;
  }
  return bad;
}

export class Framer {
  private state: number = S.START;
  private kind: UnitKind = "header";
  private docStart = false; // the current '<' is the first byte of the stream document
  private depth = 0;
  // Open element names of the current stanza, so a mismatched end tag fails when it arrives
  // rather than when the stanza would have completed. Names are compared as raw bytes (latin1).
  private names: string[] = [];
  /** The name being read (element, attribute or reference), as raw bytes (latin1). */
  private name = "";
  /** The name has a byte >= 0x80: checked by isName once decoded. */
  private high = false;
  /** Attribute names of the current start tag, for §3.1 "Unique Att Spec". */
  private attrs: string[] = [];
  /** Whitespace since the element name or the last attribute value (§3.1: it must separate them). */
  private spaced = false;
  private elements = 0;
  private quote = 0;
  private prev = 0;
  private matched = 0;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** The start of a UTF-8 sequence cut by the end of the last piece, checked with the next. */
  private utf8Tail: Buffer | null = null;

  constructor(private readonly sink: FramerSink, public limits: FramerLimits) {}

  /** Expect a new stream document (RFC 6120 §4.3.3 restart after STARTTLS or SASL). */
  restart(): void {
    // The bytes go on (after SASL, the same stream): a character cut by the last piece is still owed.
    this.state = S.START;
    this.parts = [];
    this.partBytes = 0;
  }

  /** The stream is over; further input is ignored. */
  end(): void {
    if (this.state !== S.FAILED) this.state = S.ENDED;
  }

  /** Scans one piece (at most 64 KiB, so buffering stops within one piece of the limit). */
  push(piece: Buffer): void {
    if (this.state === S.ENDED || this.state === S.FAILED) return;
    const bad = this.checkEncoding(piece);
    this.scan(bad < piece.length ? piece.subarray(0, bad) : piece);
    if (bad < piece.length && this.state !== S.ENDED && this.state !== S.FAILED) {
      this.fail("not-well-formed", "invalid UTF-8 or a character not allowed in XML 1.0 (RFC 6120 §11.6, XML §2.2)");
    }
  }

  /** The offset in `piece` of the first byte that is not UTF-8 of XML characters (piece.length if none). */
  private checkEncoding(piece: Buffer): number {
    const tail = this.utf8Tail;
    const data = tail === null ? piece : Buffer.concat([tail, piece]);
    const whole = incompleteTail(data);
    const bad = firstBadByte(whole === data.length ? data : data.subarray(0, whole));
    this.utf8Tail = whole < data.length ? Buffer.from(data.subarray(whole)) : null;
    if (bad === whole) return piece.length;
    this.utf8Tail = null;
    return Math.max(0, bad - (tail?.length ?? 0));
  }

  private scan(piece: Buffer): void {
    const n = piece.length;
    let start = this.inUnit() ? 0 : -1;
    let i = 0;
    while (i < n) {
      const c = piece[i] as number;
      switch (this.state) {
        case S.START:
        case S.PROLOG:
        case S.BETWEEN:
          if (c === C_LT) {
            start = i;
            this.beginUnit();
          } else if (isSpaceByte(c)) {
            if (this.state === S.START) this.state = S.PROLOG;
          } else {
            return this.outsideText();
          }
          i++;
          break;
        case S.LT:
          if (!this.afterLt(c)) return;
          i++;
          break;
        case S.BANG:
          if (c !== CDATA_OPEN[this.matched]) {
            this.fail("restricted-xml", "comments and markup declarations (DOCTYPE, ENTITY) are not allowed (RFC 6120 §11.1)");
            return;
          }
          if (++this.matched === CDATA_OPEN.length) (this.state = S.CDATA), (this.matched = 0);
          i++;
          break;
        case S.STAG_NAME: {
          const j = this.readName(piece, i, "element");
          if (j < 0) return;
          if (j === n) {
            i = n;
            break;
          }
          if (this.kind === "stanza") this.names.push(this.name);
          this.attrs.length = 0;
          this.state = S.TAG;
          this.spaced = false;
          i = j; // the byte after the name is read in TAG
          break;
        }
        case S.TAG:
          if (isSpaceByte(c)) this.spaced = true;
          else if (c === C_GT) {
            i++;
            if (!this.tagClosed(piece, start, i)) return;
            if (!this.inUnit()) start = -1;
            break;
          } else if (c === C_SLASH) this.state = S.EMPTY;
          else if (NAME[c] === 1 || NAME[c] === 3) {
            if (!this.spaced) return void this.fail("not-well-formed", "expected whitespace, '>' or '/>' in a start tag");
            this.state = S.ATTR_NAME;
            this.name = "";
            this.high = false;
            continue; // read by ATTR_NAME
          } else return void this.fail("not-well-formed", "bad start tag syntax");
          i++;
          break;
        case S.ATTR_NAME: {
          const j = this.readName(piece, i, "attribute");
          if (j < 0) return;
          if (j === n) {
            i = n;
            break;
          }
          if (this.attrs.includes(this.name)) return void this.fail("not-well-formed", `attribute ${this.decodedName()} appears twice`);
          this.attrs.push(this.name);
          this.state = S.ATTR_EQ;
          i = j;
          break;
        }
        case S.ATTR_EQ:
          if (c === C_EQ) this.state = S.ATTR_QUOTE;
          else if (!isSpaceByte(c)) return void this.fail("not-well-formed", `attribute ${this.decodedName()} has no value`);
          i++;
          break;
        case S.ATTR_QUOTE:
          if (c === C_QUOT || c === C_APOS) {
            this.quote = c;
            this.state = S.ATTR_VALUE;
          } else if (!isSpaceByte(c)) return void this.fail("not-well-formed", "an attribute value must be quoted");
          i++;
          break;
        case S.ATTR_VALUE:
          i = this.scanValue(piece, i);
          if (this.isFailed()) return;
          break;
        case S.ATTR_REF:
        case S.TEXT_REF:
          i = this.scanReference(piece, i);
          if (this.isFailed()) return;
          break;
        case S.EMPTY:
          if (c !== C_GT) return void this.fail("not-well-formed", "expected '>' after '/' in a start tag");
          // An empty-element tag ends in '/>' (XML 1.0 §3.1).
          if (this.kind === "stanza") {
            this.depth--;
            this.names.pop();
          }
          i++;
          if (!this.tagClosed(piece, start, i)) return;
          if (!this.inUnit()) start = -1;
          break;
        case S.ETAG_START:
          if (NAME[c] !== 1 && NAME[c] !== 3) return void this.fail("not-well-formed", "expected an element name after '</'");
          this.state = S.ETAG_NAME;
          break;
        case S.ETAG_NAME: {
          const j = this.readName(piece, i, "element");
          if (j < 0) return;
          if (j === n) {
            i = n;
            break;
          }
          this.state = S.ETAG_SPACE;
          i = j;
          break;
        }
        case S.ETAG_SPACE:
          if (c === C_GT) {
            i++;
            if (this.kind === "stanza" && !this.closeElement()) return;
            if (!this.tagClosed(piece, start, i)) return;
            if (!this.inUnit()) start = -1;
          } else if (isSpaceByte(c)) i++;
          else return void this.fail("not-well-formed", "bad end tag syntax");
          break;
        case S.TEXT:
          i = this.scanText(piece, i);
          if (this.isFailed()) return;
          break;
        case S.CDATA:
          i = this.scanCdata(piece, i);
          if (this.isFailed()) return;
          break;
        case S.DECL:
          i = this.scanDecl(piece, i);
          if (this.isFailed()) return;
          if (!this.isIn(S.DECL) && !this.complete(piece, start, i)) return;
          if (!this.inUnit()) start = -1;
          break;
        default: // ENDED, FAILED
          return;
      }
    }
    if (this.inUnit()) this.carry(piece, start);
  }

  private isFailed(): boolean {
    return this.state === S.FAILED;
  }

  private isIn(state: number): boolean {
    return this.state === state;
  }

  private inUnit(): boolean {
    return this.state >= S.LT && this.state <= S.CDATA;
  }

  private beginUnit(): void {
    this.docStart = this.state === S.START;
    this.kind = this.state === S.BETWEEN ? "stanza" : "header";
    this.state = S.LT;
    this.depth = 0;
    this.elements = 0;
    this.names.length = 0;
  }

  private outsideText(): void {
    if (this.state === S.BETWEEN) this.fail("bad-format", "only whitespace is allowed between stanzas");
    else this.fail("not-well-formed", "expected a stream header");
  }

  /** Decides what the markup after '<' is; returns false when the stream failed. */
  private afterLt(c: number): boolean {
    const { kind } = this;
    if (c === C_SLASH) {
      if (kind === "header") return this.fail("not-well-formed", "end tag before the stream header");
      if (this.depth === 0) this.kind = "close";
      this.state = S.ETAG_START;
      this.name = "";
      this.high = false;
    } else if (c === C_BANG) {
      if (kind !== "stanza" || this.depth === 0) return this.fail("restricted-xml", "DOCTYPE, comments and markup declarations are not allowed (RFC 6120 §11.1)");
      this.state = S.BANG;
      this.matched = 0;
    } else if (c === C_QUESTION) {
      if (!this.docStart) return this.fail("restricted-xml", "processing instructions are not allowed (RFC 6120 §11.1)");
      this.kind = "decl";
      this.state = S.DECL;
      this.prev = 0;
    } else if (NAME[c] === 1 || NAME[c] === 3) {
      this.state = S.STAG_NAME;
      this.name = String.fromCharCode(c);
      this.high = c >= 0x80;
      if (kind === "stanza") return this.openElement();
    } else {
      return this.fail("not-well-formed", "expected an element name after '<'");
    }
    return true;
  }

  private openElement(): boolean {
    const { maxDepth, maxElements } = this.limits;
    if (++this.depth > maxDepth) return this.fail("policy-violation", `elements nested deeper than ${maxDepth}`);
    if (++this.elements > maxElements) return this.fail("policy-violation", `more than ${maxElements} elements in one stanza`);
    return true;
  }

  private closeElement(): boolean {
    this.depth--;
    const open = this.names.pop();
    if (this.name !== open) return this.fail("not-well-formed", `end tag </${this.decodedName()}> does not match <${Buffer.from(open ?? "", "latin1").toString("utf8")}>`);
    return true;
  }

  /** Adds the name bytes from `i` to this.name; returns the offset of the first byte after the name (n: not ended). */
  private scanName(piece: Buffer, i: number): number {
    const n = piece.length;
    let j = i;
    let high = false;
    while (j < n) {
      const k = NAME[piece[j] as number] as number;
      if (k === 0) break;
      if (k === 3) high = true;
      j++;
    }
    if (j > i) this.name += piece.toString("latin1", i, j);
    if (high) this.high = true;
    return j;
  }

  private decodedName(): string {
    return Buffer.from(this.name, "latin1").toString("utf8");
  }

  /** A complete name: every character an XML NameChar, the first a NameStartChar (§2.3). */
  /**
   * Reads a name from i: the offset after it, once a byte after it shows it whole and valid; the
   * piece's length when the piece ends inside it (what is there may start a name); -1 on failure.
   */
  private readName(piece: Buffer, i: number, what: string): number {
    const j = this.scanName(piece, i);
    if (j === piece.length) return this.namePrefixOk() ? j : -1;
    return this.nameOk(what) ? j : -1;
  }

  private nameOk(what: string): boolean {
    if (!this.high || isName(this.decodedName())) return true;
    return this.fail("not-well-formed", `bad ${what} name`);
  }

  /** A name cut by the end of a piece: what is there must start a name. */
  private namePrefixOk(): boolean {
    if (!this.high) return true;
    const bytes = Buffer.from(this.name, "latin1");
    const whole = bytes.subarray(0, incompleteTail(bytes)).toString("utf8");
    if (whole === "" || isName(whole)) return true;
    return this.fail("not-well-formed", "bad name");
  }

  private scanValue(piece: Buffer, i: number): number {
    const n = piece.length;
    const quote = this.quote;
    for (; i < n; i++) {
      const c = piece[i] as number;
      if (c === quote) {
        this.state = S.TAG;
        this.spaced = false;
        return i + 1;
      }
      if (c === C_LT) return this.failAt(n, "'<' is not allowed in an attribute value");
      if (c === C_AMP) return this.beginReference(S.ATTR_REF, i);
      if (CONTROL[c] === 1) return this.failAt(n, "character not allowed in XML 1.0 (§2.2)");
    }
    return n;
  }

  private scanText(piece: Buffer, i: number): number {
    const n = piece.length;
    let brackets = this.matched;
    for (; i < n; i++) {
      const c = piece[i] as number;
      if (c === C_LT) {
        this.state = S.LT;
        this.matched = 0;
        return i + 1;
      }
      if (c === C_RSQB) brackets = brackets < 2 ? brackets + 1 : 2;
      else {
        if (c === C_GT && brackets === 2) return this.failAt(n, "']]>' is not allowed in character data");
        brackets = 0;
        if (c === C_AMP) {
          this.matched = 0;
          return this.beginReference(S.TEXT_REF, i);
        }
        if (CONTROL[c] === 1) return this.failAt(n, "character not allowed in XML 1.0 (§2.2)");
      }
    }
    this.matched = brackets;
    return n;
  }

  private beginReference(state: number, i: number): number {
    this.state = state;
    this.name = "";
    this.high = false;
    return i + 1;
  }

  /** After '&': `Name;`, `#digits;` or `#xhex;` (§4.1); checked byte by byte, resolved at ';'. */
  private scanReference(piece: Buffer, i: number): number {
    const n = piece.length;
    for (; i < n; i++) {
      const c = piece[i] as number;
      if (c === C_SEMI) {
        try {
          decodeReferences(`&${Buffer.from(this.name, "latin1").toString("utf8")};`, 0);
        } catch (err) {
          if (!(err instanceof XmlError)) throw err;
          return this.failAt(n, err.text, err.condition);
        }
        this.state = this.state === S.ATTR_REF ? S.ATTR_VALUE : S.TEXT;
        return i + 1;
      }
      if (!this.referenceContinues(c)) return this.failAt(n, "'&' must start a character or entity reference");
      this.name += String.fromCharCode(c);
      if (c >= 0x80) this.high = true;
    }
    this.namePrefixOk();
    return n;
  }

  private referenceContinues(c: number): boolean {
    const ref = this.name;
    if (ref === "") return c === 0x23 /* # */ || NAME[c] === 1 || NAME[c] === 3;
    if (ref.charCodeAt(0) !== 0x23) return NAME[c] !== 0;
    const hex = ref.length >= 2 && ref.charCodeAt(1) === 0x78;
    if (ref.length === 1 && c === 0x78 /* x */) return true;
    if (hex) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    return c >= 0x30 && c <= 0x39;
  }

  private scanCdata(piece: Buffer, i: number): number {
    const n = piece.length;
    let matched = this.matched;
    for (; i < n; i++) {
      const c = piece[i] as number;
      if (c === C_RSQB) matched = matched < 2 ? matched + 1 : 2;
      else if (c === C_GT && matched === 2) {
        this.state = S.TEXT;
        this.matched = 0;
        return i + 1;
      } else {
        matched = 0;
        if (CONTROL[c] === 1) return this.failAt(n, "character not allowed in XML 1.0 (§2.2)");
      }
    }
    this.matched = matched;
    return i;
  }

  /** The XML declaration: no markup inside, ends at '?>' (checked in full by the strict parser then). */
  private scanDecl(piece: Buffer, i: number): number {
    const n = piece.length;
    for (; i < n; i++) {
      const c = piece[i] as number;
      if (c === C_GT) {
        if (this.prev !== C_QUESTION) return this.failAt(n, "malformed XML declaration");
        this.state = S.PROLOG;
        return i + 1;
      }
      if (c === C_LT || CONTROL[c] === 1) return this.failAt(n, "malformed XML declaration");
      this.prev = c;
    }
    return i;
  }

  /** A tag ended at `end`: the unit is complete when it was the header, the close tag or the stanza's last tag. */
  private tagClosed(piece: Buffer, start: number, end: number): boolean {
    if (this.kind === "stanza" && this.depth > 0) {
      this.state = S.TEXT;
      this.matched = 0;
      return true;
    }
    this.state = S.BETWEEN;
    return this.complete(piece, start, end);
  }

  private complete(piece: Buffer, start: number, end: number): boolean {
    const size = this.partBytes + end - start;
    if (size > this.limits.maxStanzaBytes) return this.tooLarge();
    const tail = piece.subarray(start, end);
    const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], size);
    this.parts = [];
    this.partBytes = 0;
    // Empty again, but V8 keeps the capacity it grew (152 B) until the length is set: between
    // stanzas, which for an idle connection is for good.
    this.names.length = 0;
    const kind = this.kind;
    if (kind === "close") this.state = S.ENDED;
    this.sink.unit(kind, bytes);
    return this.state !== S.FAILED;
  }

  private carry(piece: Buffer, start: number): void {
    const size = this.partBytes + piece.length - start;
    if (size > this.limits.maxStanzaBytes) {
      this.tooLarge();
      return;
    }
    // Copy: a slice would keep the whole socket chunk alive.
    this.parts.push(Buffer.from(piece.subarray(start)));
    this.partBytes = size;
  }

  private tooLarge(): false {
    return this.fail("policy-violation", `stanza larger than ${this.limits.maxStanzaBytes} bytes`);
  }

  /** Fails and returns `n`, for the scanners (their callers see state FAILED). */
  private failAt(n: number, text: string, condition: XmlErrorCondition = "not-well-formed"): number {
    this.fail(condition, text);
    return n;
  }

  private fail(condition: XmlErrorCondition, text: string): false {
    this.state = S.FAILED;
    this.parts = [];
    this.utf8Tail = null;
    this.sink.fail(new XmlStreamError(condition, text));
    return false;
  }
}
