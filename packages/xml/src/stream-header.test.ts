import { describe, expect, it } from "vitest";
import { escapeAttr, escapeXml } from "./escape.ts";
import { parseElement } from "./parse-element.ts";
import { STREAM_CLOSE, streamOpen } from "./stream-header.ts";
import { record } from "./test-helpers.ts";

describe("streamOpen", () => {
  it("writes the declaration and header, escaping values", () => {
    expect(streamOpen({ xmlns: "jabber:client", from: "example.com", id: "a'b&c", version: "1.0" })).toBe(
      "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' from='example.com' id='a&apos;b&amp;c' version='1.0'>",
    );
    expect(STREAM_CLOSE).toBe("</stream:stream>");
  });

  it("is accepted by StreamParser", () => {
    const rec = record();
    rec.parser.write(streamOpen({ xmlns: "jabber:client", to: "example.com" }) + STREAM_CLOSE);
    expect(rec.errors).toEqual([]);
    expect([rec.starts[0]?.to, rec.ends]).toEqual(["example.com", 1]);
  });
});

describe("escaping", () => {
  it("escapes text and attribute values so they parse back unchanged", () => {
    expect(escapeXml("a<b>&c'\"")).toBe("a&lt;b&gt;&amp;c'\"");
    const value = "x'y\"z<&>\t\n\r";
    expect(escapeAttr(value)).toBe("x&apos;y&quot;z&lt;&amp;&gt;&#9;&#10;&#13;");
    expect(parseElement(`<a v='${escapeAttr(value)}'>${escapeXml(value)}</a>`).attrs.v).toBe(value);
  });
});
