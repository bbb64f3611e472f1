import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HEADER, record } from "./test-helpers.ts";

// Stanzas chosen to put tricky bytes everywhere a split can land: multi-byte characters,
// quotes and '>' inside values, CDATA with ']]', references, self-closing tags.
const STANZAS = [
  `<message to='jülïet@example.com/balcöny' type="chat" id='a>b'><body>Wherefore 😀 &amp; &#x263A; "art"</body></message>`,
  `<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`,
  `<presence><show>away</show><status><![CDATA[brb ]] > ]]]></status></presence>`,
  `<message xml:lang='ja'><body>こんにちは</body><x xmlns:p='urn:p' p:a='1'><p:y/></x></message>`,
  `<stream:error><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>bye</text></stream:error>`,
];
const STREAM = Buffer.from(`${HEADER} ${STANZAS.join("\n ")} </stream:stream>`);

function parseInPieces(cuts: number[]): { stanzas: string[]; ends: number; errors: string[] } {
  const rec = record();
  let last = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    rec.parser.write(STREAM.subarray(last, cut));
    last = cut;
  }
  rec.parser.write(STREAM.subarray(last));
  return { stanzas: rec.stanzas.map(String), ends: rec.ends, errors: rec.errors.map((e) => e.text) };
}

describe("StreamParser chunking", () => {
  const whole = parseInPieces([]);

  it("parses the sample stream in one write", () => {
    expect(whole.errors).toEqual([]);
    expect(whole.stanzas.length).toBe(STANZAS.length);
    expect(whole.ends).toBe(1);
  });

  it("yields the same stanzas for any split of the bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(parseInPieces(cuts)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it("yields the same stanzas when fed one byte at a time", () => {
    expect(parseInPieces(Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1))).toEqual(whole);
  });

  it("never throws on arbitrary input and reports at most one error", () => {
    const alphabet = ["<", ">", "/", "'", '"', "=", "&", ";", "!", "?", "[", "]", "a", "b:c", " ", "é", "\u0000", "CDATA[", "--", "&amp;", "&#x41;"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (tokens, step) => {
        const rec = record({ maxStanzaBytes: 512, maxDepth: 8, maxElements: 16 });
        const bytes = Buffer.from(HEADER + tokens.join(""));
        for (let i = 0; i < bytes.length; i += step) rec.parser.write(bytes.subarray(i, i + step));
        expect(rec.errors.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});
