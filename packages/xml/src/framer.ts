// The byte-level framer under StreamParser. It finds where each top-level unit (XML
// declaration, stream header, stanza, stream close tag) starts and ends in the raw bytes, so
// limits are enforced on raw bytes before anything is parsed (docs/architecture.md "Limits"): a unit
// larger than maxStanzaBytes is rejected at the end of the piece that crosses the limit, and
// depth/element counts are checked the moment a start tag opens. It only knows enough XML to
// frame (tags, quoted values, CDATA); the strict parser validates each complete unit.
import { XmlStreamError, type XmlErrorCondition } from "./errors.ts";

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

const START = 0, PROLOG = 1, BETWEEN = 2, LT = 3, BANG = 4, STAG = 5, QUOTE = 6, ETAG = 7,
  TEXT = 8, CDATA = 9, DECL = 10, ENDED = 11, FAILED = 12;
const C_LT = 0x3c, C_GT = 0x3e, C_SLASH = 0x2f, C_BANG = 0x21, C_QUESTION = 0x3f,
  C_QUOT = 0x22, C_APOS = 0x27, C_RSQB = 0x5d;
const CDATA_OPEN = Buffer.from("[CDATA[");

function isSpaceByte(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export class Framer {
  private state = START;
  private kind: UnitKind = "header";
  private docStart = false; // the current '<' is the first byte of the stream document
  private depth = 0;
  // Open element names of the current stanza, so a mismatched end tag fails when it arrives
  // rather than when the stanza would have completed. Names are compared as raw bytes (latin1).
  private names: string[] = [];
  private name = "";
  private inName = false;
  private elements = 0;
  private quote = 0;
  private prev = 0;
  private matched = 0;
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(private readonly sink: FramerSink, public limits: FramerLimits) {}

  /** Expect a new stream document (RFC 6120 §4.3.3 restart after STARTTLS or SASL). */
  restart(): void {
    this.state = START;
    this.parts = [];
    this.partBytes = 0;
  }

  /** The stream is over; further input is ignored. */
  end(): void {
    if (this.state !== FAILED) this.state = ENDED;
  }

  /** Scans one piece (at most 64 KiB, so buffering stops within one piece of the limit). */
  push(piece: Buffer): void {
    const n = piece.length;
    let start = this.inUnit() ? 0 : -1;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case START:
        case PROLOG:
        case BETWEEN: {
          const c = piece[i] as number;
          if (c === C_LT) {
            start = i;
            this.beginUnit();
          } else if (isSpaceByte(c)) {
            if (this.state === START) this.state = PROLOG;
          } else {
            return this.outsideText();
          }
          i++;
          break;
        }
        case LT:
          if (!this.afterLt(piece[i] as number)) return;
          if ((this.state as number) !== STAG) i++;
          break;
        case BANG:
          if (piece[i] !== CDATA_OPEN[this.matched]) {
            this.fail("restricted-xml", "comments and markup declarations (DOCTYPE, ENTITY) are not allowed (RFC 6120 §11.1)");
            return;
          }
          if (++this.matched === CDATA_OPEN.length) this.state = CDATA;
          i++;
          break;
        case STAG:
          i = this.scanStartTag(piece, i);
          if (this.state === STAG || this.state === QUOTE) break;
          if (!this.tagClosed(piece, start, i)) return;
          if (!this.inUnit()) start = -1;
          break;
        case QUOTE: {
          const close = piece.indexOf(this.quote, i);
          if (close === -1) i = n;
          else {
            this.state = STAG;
            this.prev = this.quote;
            i = close + 1;
          }
          break;
        }
        case ETAG: {
          const gt = piece.indexOf(C_GT, i);
          if (this.kind === "stanza") this.name += piece.toString("latin1", i, gt === -1 ? n : gt);
          if (gt === -1) {
            i = n;
            break;
          }
          i = gt + 1;
          if (this.kind === "stanza" && !this.closeElement()) return;
          if (!this.tagClosed(piece, start, i)) return;
          if (!this.inUnit()) start = -1;
          break;
        }
        case TEXT: {
          const lt = piece.indexOf(C_LT, i);
          if (lt === -1) i = n;
          else {
            this.state = LT;
            i = lt + 1;
          }
          break;
        }
        case CDATA:
          i = this.scanCdata(piece, i);
          break;
        case DECL:
          i = this.scanDecl(piece, i);
          if (this.state !== DECL && !this.complete(piece, start, i)) return;
          if (!this.inUnit()) start = -1;
          break;
        default: // ENDED, FAILED
          return;
      }
    }
    if (this.inUnit()) this.carry(piece, start);
  }

  private inUnit(): boolean {
    return this.state >= LT && this.state <= DECL;
  }

  private beginUnit(): void {
    this.docStart = this.state === START;
    this.kind = this.state === BETWEEN ? "stanza" : "header";
    this.state = LT;
    this.depth = 0;
    this.elements = 0;
    this.names.length = 0;
  }

  private outsideText(): void {
    if (this.state === BETWEEN) this.fail("bad-format", "only whitespace is allowed between stanzas");
    else this.fail("not-well-formed", "expected a stream header");
  }

  /** Decides what the markup after '<' is; returns false when the stream failed. */
  private afterLt(c: number): boolean {
    const { kind } = this;
    if (c === C_SLASH) {
      if (kind === "header") return this.fail("not-well-formed", "end tag before the stream header");
      if (this.depth === 0) this.kind = "close";
      this.state = ETAG;
      this.name = "";
    } else if (c === C_BANG) {
      if (kind !== "stanza" || this.depth === 0) return this.fail("restricted-xml", "DOCTYPE, comments and markup declarations are not allowed (RFC 6120 §11.1)");
      this.state = BANG;
      this.matched = 0;
    } else if (c === C_QUESTION) {
      if (!this.docStart) return this.fail("restricted-xml", "processing instructions are not allowed (RFC 6120 §11.1)");
      this.kind = "decl";
      this.state = DECL;
      this.prev = 0;
    } else {
      this.state = STAG;
      this.prev = 0;
      if (kind === "stanza") {
        this.inName = true;
        this.name = "";
        return this.openElement();
      }
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
    const name = this.name.trimEnd();
    if (name !== open) return this.fail("not-well-formed", `end tag </${name}> does not match <${open}>`);
    return true;
  }

  /** Reads the element name at the start of a start tag; it may continue in the next piece. */
  private scanName(piece: Buffer, i: number): number {
    const n = piece.length;
    let j = i;
    while (j < n) {
      const c = piece[j] as number;
      if (isSpaceByte(c) || c === C_SLASH || c === C_GT) break;
      j++;
    }
    this.name += piece.toString("latin1", i, j);
    if (j < n) {
      this.inName = false;
      this.names.push(this.name);
    }
    return j;
  }

  /** Scans inside a start tag; leaves state STAG (need more), QUOTE, or TEXT/BETWEEN-bound. */
  private scanStartTag(piece: Buffer, i: number): number {
    const n = piece.length;
    if (this.inName) {
      i = this.scanName(piece, i);
      if (this.inName) return i;
    }
    let prev = this.prev;
    for (; i < n; i++) {
      const c = piece[i] as number;
      if (c === C_QUOT || c === C_APOS) {
        this.quote = c;
        this.state = QUOTE;
        return i + 1;
      }
      if (c === C_GT) {
        // An empty-element tag ends in '/>' (XML 1.0 §3.1).
        if (prev === C_SLASH && this.kind === "stanza") {
          this.depth--;
          this.names.pop();
        }
        this.state = TEXT;
        this.prev = prev;
        return i + 1;
      }
      prev = c;
    }
    this.prev = prev;
    return i;
  }

  private scanCdata(piece: Buffer, i: number): number {
    const n = piece.length;
    let matched = this.matched;
    for (; i < n; i++) {
      const c = piece[i];
      if (c === C_RSQB) matched = matched < 2 ? matched + 1 : 2;
      else if (c === C_GT && matched === 2) {
        this.state = TEXT;
        return i + 1;
      } else matched = 0;
    }
    this.matched = matched;
    return i;
  }

  private scanDecl(piece: Buffer, i: number): number {
    const n = piece.length;
    for (; i < n; i++) {
      const c = piece[i] as number;
      if (c === C_GT && this.prev === C_QUESTION) {
        this.state = PROLOG;
        return i + 1;
      }
      this.prev = c;
    }
    return i;
  }

  /** A tag ended at `end`: the unit is complete when it was the header, the close tag or the stanza's last tag. */
  private tagClosed(piece: Buffer, start: number, end: number): boolean {
    if (this.kind === "stanza" && this.depth > 0) {
      this.state = TEXT;
      return true;
    }
    this.state = BETWEEN;
    return this.complete(piece, start, end);
  }

  private complete(piece: Buffer, start: number, end: number): boolean {
    const size = this.partBytes + end - start;
    if (size > this.limits.maxStanzaBytes) return this.tooLarge();
    const tail = piece.subarray(start, end);
    const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], size);
    this.parts = [];
    this.partBytes = 0;
    const kind = this.kind;
    if (kind === "close") this.state = ENDED;
    this.sink.unit(kind, bytes);
    return this.state !== FAILED;
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

  private fail(condition: XmlErrorCondition, text: string): false {
    this.state = FAILED;
    this.parts = [];
    this.sink.fail(new XmlStreamError(condition, text));
    return false;
  }
}
