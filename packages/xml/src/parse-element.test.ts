import { describe, expect, it } from "vitest";
import { parseElement } from "./parse-element.ts";
import { XmlError } from "./errors.ts";

function conditionOf(text: string): string {
  try {
    parseElement(text);
    return "none";
  } catch (err) {
    if (err instanceof XmlError) return err.condition;
    throw err;
  }
}

describe("parseElement", () => {
  it("builds elements, attributes and text", () => {
    const el = parseElement(`<message to='a@b' type="chat"><body>hi &amp; &lt;bye&gt; &#x263A;&#65;</body><x xmlns='urn:x'/></message>`);
    expect(el.name).toBe("message");
    expect(el.attrs).toEqual({ to: "a@b", type: "chat" });
    expect(el.getChildText("body")).toBe("hi & <bye> \u263AA");
    expect(el.getChild("x", "urn:x")?.parent).toBe(el);
    expect(el.parent).toBeNull();
    expect(el.toString()).toBe(`<message to="a@b" type="chat"><body>hi &amp; &lt;bye&gt; \u263AA</body><x xmlns="urn:x"/></message>`);
  });

  it("keeps CDATA as text and merges it with neighbouring text", () => {
    const el = parseElement("<body>a<![CDATA[<b>&amp;]]>c</body>");
    expect(el.children).toEqual(["a<b>&amp;c"]);
  });

  it("normalises line ends and whitespace in attribute values (XML 1.0 §2.11, §3.3.3)", () => {
    const el = parseElement("<a v='x\ty\r\nz' w='&#10;'>1\r\n2\r3</a>");
    expect(el.attrs).toEqual({ v: "x y z", w: "\n" });
    expect(el.getText()).toBe("1\n2\n3");
  });

  it("accepts surrounding whitespace, xml:lang and declared prefixes", () => {
    const el = parseElement(" <a xml:lang='en' xmlns:p='urn:p' p:x='1'><p:b/></a>\n");
    expect(el.getChild("b", "urn:p")?.name).toBe("p:b");
  });

  it("stores an attribute named __proto__ as data", () => {
    const el = parseElement("<a __proto__='x' toString='y'/>");
    expect(Object.getPrototypeOf(el.attrs)).toBe(Object.prototype);
    expect(Object.keys(el.attrs)).toEqual(["__proto__", "toString"]);
  });

  it.each([
    ["comment", "<a><!-- hi --></a>"],
    ["comment at the root", "<!-- hi --><a/>"],
    ["DOCTYPE", "<!DOCTYPE a [<!ENTITY x 'y'>]><a/>"],
    ["processing instruction", "<a><?php echo ?></a>"],
    ["XML declaration", "<?xml version='1.0'?><a/>"],
    ["undefined entity in text", "<a>&xxe;</a>"],
    ["undefined entity in an attribute", "<a b='&nbsp;'/>"],
  ])("rejects a %s as restricted-xml", (_, text) => {
    expect(conditionOf(text)).toBe("restricted-xml");
  });

  it.each([
    ["mismatched tags", "<a><b></a></b>"],
    ["unclosed element", "<a><b></b>"],
    ["unquoted attribute", "<a b=c/>"],
    ["attribute without value", "<a b/>"],
    ["missing space between attributes", "<a b='1'c='2'/>"],
    ["duplicate attribute", "<a b='1' b='2'/>"],
    ["duplicate expanded attribute name", "<a xmlns:p='urn:x' xmlns:q='urn:x' p:b='1' q:b='2'/>"],
    ["unbound element prefix", "<p:a/>"],
    ["unbound attribute prefix", "<a p:b='1'/>"],
    ["undeclared prefix", "<a xmlns:p=''/>"],
    ["rebinding xml", "<a xmlns:xml='urn:x'/>"],
    ["'<' in an attribute", "<a b='<'/>"],
    ["bare '&'", "<a>fish & chips</a>"],
    ["reference to an illegal character", "<a>&#0;</a>"],
    ["control character", "<a>\u0001</a>"],
    ["U+FFFE", "<a>\uFFFE</a>"],
    ["lone surrogate", "<a>\uD800</a>"],
    ["']]>' in text", "<a>]]></a>"],
    ["two root elements", "<a/><b/>"],
    ["text after the root", "<a/>x"],
    ["bad name", "<1a/>"],
    ["empty input", ""],
  ])("rejects %s as not-well-formed", (_, text) => {
    expect(conditionOf(text)).toBe("not-well-formed");
  });

  it("never expands entities: the error names the reference", () => {
    expect(() => parseElement("<a>&xxe;</a>")).toThrow(/&xxe;/);
  });

  it("applies optional limits", () => {
    expect(() => parseElement("<a><b><c/></b></a>", { maxDepth: 2 })).toThrow(/policy-violation/);
    expect(() => parseElement("<a><b/><b/></a>", { maxElements: 2 })).toThrow(/policy-violation/);
    expect(() => parseElement(`<a>${"é".repeat(10)}</a>`, { maxStanzaBytes: 20 })).toThrow(/larger than 20 bytes/);
    expect(parseElement("<a><b/></a>", { maxDepth: 2, maxElements: 2, maxStanzaBytes: 11 }).name).toBe("a");
  });
});
