// The strict parser for one complete element (a stanza, or a stanza from the bus). It accepts
// only what RFC 6120 §11 allows: elements, attributes, character data, CDATA sections and the
// predefined/character references. It builds @xmpp/xml Elements directly, with an explicit stack
// (no recursion), checking depth and element count as each start tag is opened.
import { Element } from "@xmpp/xml";
import { checkChars, decodeReferences, scanName, skipSpace } from "./chars.ts";
import { notWellFormed, policy, restricted } from "./errors.ts";
import { type Bindings, checkNames, collectBindings } from "./namespaces.ts";

export interface ParseOptions {
  /** Bindings inherited from outside the element (the stream header): prefix -> namespace, "" = default. */
  readonly inherited: Readonly<Record<string, string>>;
  readonly maxDepth: number;
  readonly maxElements: number;
}

interface Frame {
  readonly el: Element;
  readonly bindings: Bindings;
}

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f, EQ = 0x3d, QUOT = 0x22, APOS = 0x27;

/** Parses `text`, which must hold exactly one element, optionally surrounded by whitespace. */
export function parseOne(text: string, options: ParseOptions): Element {
  checkChars(text);
  // XML 1.0 §2.11: line ends are normalised before anything else.
  const normalized = text.indexOf("\r") === -1 ? text : text.replace(/\r\n?/g, "\n");
  return new Cursor(normalized, options).document();
}

/** Parses a lone start tag (the stream header) and returns its name and attributes. */
export function parseStartTag(text: string): { name: string; attrs: Record<string, string> } {
  checkChars(text);
  const cursor = new Cursor(text.replace(/\r\n?/g, "\n"), { inherited: {}, maxDepth: 1, maxElements: 1 });
  const el = cursor.startTag();
  if (cursor.pos !== cursor.text.length) throw notWellFormed("unexpected content after the stream header");
  return { name: el.name, attrs: el.attrs };
}

class Cursor {
  pos = 0;
  private readonly stack: Frame[] = [];
  private count = 0;
  private usedInherited: Set<string> | null = null;
  private readonly resolve = (prefix: string): string | undefined => this.lookup(prefix);

  constructor(readonly text: string, private readonly options: ParseOptions) {}

  document(): Element {
    this.pos = skipSpace(this.text, 0);
    if (this.text.charCodeAt(this.pos) !== LT) throw notWellFormed("expected an element");
    const root = this.markup() as Element;
    while (this.stack.length > 0) this.content();
    if (skipSpace(this.text, this.pos) !== this.text.length) throw notWellFormed("content after the element");
    this.completeRoot(root);
    return root;
  }

  /** One step inside an open element: character data, then one piece of markup. */
  private content(): void {
    const { text } = this;
    const lt = text.indexOf("<", this.pos);
    if (lt === -1) throw notWellFormed(`element ${this.top().name} is not closed`);
    if (lt > this.pos) this.appendText(this.charData(text.slice(this.pos, lt)));
    this.pos = lt;
    this.markup();
  }

  private markup(): Element | null {
    const next = this.text.charCodeAt(this.pos + 1);
    if (next === SLASH) return this.endTag();
    if (next === BANG) return this.bang();
    if (next === QUESTION) throw restricted("processing instructions are not allowed");
    const el = this.startTag();
    return el;
  }

  startTag(): Element {
    const depth = this.stack.length + 1;
    if (depth > this.options.maxDepth) throw policy(`elements nested deeper than ${this.options.maxDepth}`);
    if (++this.count > this.options.maxElements) throw policy(`more than ${this.options.maxElements} elements in one stanza`);
    const { text } = this;
    const nameEnd = scanName(text, this.pos + 1);
    if (nameEnd === this.pos + 1) throw notWellFormed("expected an element name after '<'");
    const name = text.slice(this.pos + 1, nameEnd);
    this.pos = nameEnd;
    const attrs: Record<string, string> = {};
    const needsNamespaces = this.attributes(attrs) || name.indexOf(":") !== -1;
    const selfClosing = text.charCodeAt(this.pos) === SLASH;
    this.pos += selfClosing ? 2 : 1;
    const el = new Element(name);
    el.attrs = attrs;
    const bindings = needsNamespaces ? collectBindings(attrs) : null;
    const frame: Frame = { el, bindings };
    this.stack.push(frame);
    if (needsNamespaces) checkNames(name, attrs, this.resolve);
    if (selfClosing) this.stack.pop();
    const parent = this.stack[this.stack.length - (selfClosing ? 1 : 2)];
    if (parent !== undefined) {
      parent.el.children.push(el);
      el.parent = parent.el;
    }
    return el;
  }

  /** Reads attributes up to '>' or '/>'; returns whether any of them needs namespace checks. */
  private attributes(attrs: Record<string, string>): boolean {
    const { text } = this;
    let needsNamespaces = false;
    for (;;) {
      const afterSpace = skipSpace(text, this.pos);
      const c = text.charCodeAt(afterSpace);
      if (c === GT || (c === SLASH && text.charCodeAt(afterSpace + 1) === GT)) {
        this.pos = afterSpace;
        return needsNamespaces;
      }
      if (afterSpace === this.pos) throw notWellFormed("expected whitespace, '>' or '/>' in a start tag");
      const nameEnd = scanName(text, afterSpace);
      if (nameEnd === afterSpace) throw notWellFormed("bad attribute syntax");
      const name = text.slice(afterSpace, nameEnd);
      let i = skipSpace(text, nameEnd);
      if (text.charCodeAt(i) !== EQ) throw notWellFormed(`attribute ${name} has no value`);
      i = skipSpace(text, i + 1);
      const quote = text.charCodeAt(i);
      if (quote !== QUOT && quote !== APOS) throw notWellFormed(`the value of ${name} must be quoted`);
      const close = text.indexOf(quote === QUOT ? '"' : "'", i + 1);
      if (close === -1) throw notWellFormed(`the value of ${name} is not closed`);
      if (Object.hasOwn(attrs, name)) throw notWellFormed(`attribute ${name} appears twice`);
      setAttr(attrs, name, this.attrValue(text.slice(i + 1, close)));
      if (name.indexOf(":") !== -1 || name === "xmlns") needsNamespaces = true;
      this.pos = close + 1;
    }
  }

  private attrValue(raw: string): string {
    if (raw.indexOf("<") !== -1) throw notWellFormed("'<' is not allowed in an attribute value");
    // XML 1.0 §3.3.3: literal whitespace becomes a space; references are expanded afterwards.
    const spaced = /[\t\n]/.test(raw) ? raw.replace(/[\t\n]/g, " ") : raw;
    const amp = spaced.indexOf("&");
    return amp === -1 ? spaced : decodeReferences(spaced, amp);
  }

  private charData(raw: string): string {
    if (raw.indexOf("]]>") !== -1) throw notWellFormed("']]>' is not allowed in character data");
    const amp = raw.indexOf("&");
    return amp === -1 ? raw : decodeReferences(raw, amp);
  }

  private endTag(): null {
    const { text } = this;
    const nameEnd = scanName(text, this.pos + 2);
    const name = text.slice(this.pos + 2, nameEnd);
    const gt = skipSpace(text, nameEnd);
    if (text.charCodeAt(gt) !== GT) throw notWellFormed("bad end tag syntax");
    const frame = this.stack.pop();
    if (frame === undefined || frame.el.name !== name) {
      throw notWellFormed(`end tag </${name}> does not match <${frame?.el.name ?? ""}>`);
    }
    this.pos = gt + 1;
    return null;
  }

  private bang(): null {
    const { text } = this;
    if (!text.startsWith("<![CDATA[", this.pos) || this.stack.length === 0) {
      throw restricted("comments and markup declarations (DOCTYPE, ENTITY) are not allowed");
    }
    const end = text.indexOf("]]>", this.pos + 9);
    if (end === -1) throw notWellFormed("CDATA section is not closed");
    this.appendText(text.slice(this.pos + 9, end));
    this.pos = end + 3;
    return null;
  }

  private appendText(value: string): void {
    const { children } = this.top();
    const last = children.length - 1;
    if (last >= 0 && typeof children[last] === "string") children[last] += value;
    else children.push(value);
  }

  private top(): Element {
    return (this.stack[this.stack.length - 1] as Frame).el;
  }

  private lookup(prefix: string): string | undefined {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const ns = (this.stack[i] as Frame).bindings?.[prefix];
      if (ns !== undefined) return ns;
    }
    const inherited = this.options.inherited[prefix];
    if (inherited !== undefined) (this.usedInherited ??= new Set()).add(prefix);
    return inherited;
  }

  /** Makes the root self-contained: it carries the inherited namespaces it relies on. */
  private completeRoot(root: Element): void {
    const { inherited } = this.options;
    for (const prefix of this.usedInherited ?? []) root.attrs[`xmlns:${prefix}`] = inherited[prefix] as string;
    const dflt = inherited[""];
    if (dflt !== undefined && !Object.hasOwn(root.attrs, "xmlns")) root.attrs = { xmlns: dflt, ...root.attrs };
  }
}

// A plain assignment of "__proto__" would change the object's prototype instead.
function setAttr(attrs: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
  else attrs[name] = value;
}
