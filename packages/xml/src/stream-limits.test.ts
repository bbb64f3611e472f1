import { describe, expect, it } from "vitest";
import { PIECE_BYTES } from "./stream-parser.ts";
import { conditionOf, HEADER, record } from "./test-helpers.ts";

const LIMITS = { maxStanzaBytes: 8192, maxDepth: 16, maxElements: 32 };

function nested(depth: number): string {
  return "<a>".repeat(depth) + "</a>".repeat(depth);
}

describe("StreamParser limits", () => {
  it("accepts a stanza of exactly maxStanzaBytes and rejects one byte more", () => {
    const shell = "<message><body></body></message>";
    const exact = `<message><body>${"x".repeat(8192 - shell.length)}</body></message>`;
    expect(Buffer.byteLength(exact)).toBe(8192);
    expect(conditionOf(exact, LIMITS)).toBe("none");
    const rec = record(LIMITS);
    rec.parser.write(HEADER + exact.replace("<body>", "<body>x"));
    expect(rec.errors.map((e) => [e.condition, e.text])).toEqual([["policy-violation", "stanza larger than 8192 bytes"]]);
  });

  it("counts raw bytes, not characters", () => {
    const body = "é".repeat(4100); // 8200 bytes, 4100 characters
    expect(conditionOf(`<message><body>${body}</body></message>`, LIMITS)).toBe("policy-violation");
  });

  it("rejects nesting deeper than maxDepth, and accepts maxDepth", () => {
    expect(conditionOf(nested(16), LIMITS)).toBe("none");
    expect(conditionOf(nested(17), LIMITS)).toBe("policy-violation");
  });

  it("rejects more than maxElements elements in one stanza", () => {
    const many = (n: number) => `<iq>${"<x/>".repeat(n - 1)}</iq>`;
    expect(conditionOf(many(32), LIMITS)).toBe("none");
    expect(conditionOf(many(33), LIMITS)).toBe("policy-violation");
  });

  it("rejects deep nesting as soon as the too-deep start tag opens", () => {
    const rec = record(LIMITS);
    rec.parser.write(HEADER + "<a>".repeat(17)); // never closed
    expect(rec.errors.map((e) => e.condition)).toEqual(["policy-violation"]);
  });

  it("rejects 100k nested elements quickly", () => {
    const rec = record({ maxStanzaBytes: 1 << 20, maxDepth: 64 });
    const t0 = performance.now();
    rec.parser.write(HEADER + nested(100_000));
    expect(rec.errors.map((e) => e.condition)).toEqual(["policy-violation"]);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it("stops buffering an unterminated attribute within one piece of the limit (64 MiB fed)", () => {
    const rec = record({ maxStanzaBytes: 262_144, maxDepth: 64 });
    rec.parser.write(`${HEADER}<message to='`);
    const chunk = Buffer.alloc(1 << 20, "a");
    const heapBefore = process.memoryUsage().heapUsed;
    let fedWhenFailed = -1;
    for (let fed = 0; fed < 64 << 20; fed += chunk.length) {
      rec.parser.write(chunk);
      if (fedWhenFailed === -1 && rec.errors.length > 0) fedWhenFailed = fed + chunk.length;
    }
    // The error comes at the first 64 KiB piece that crosses 256 KiB, inside the first 1 MiB write.
    expect(fedWhenFailed).toBe(chunk.length);
    expect(rec.errors.map((e) => e.condition)).toEqual(["policy-violation"]);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(16 << 20);
  });

  it("buffers at most maxStanzaBytes plus one piece before failing", () => {
    const rec = record({ maxStanzaBytes: 100_000, maxDepth: 64 });
    rec.parser.write(`${HEADER}<message><body>`);
    const piece = Buffer.alloc(PIECE_BYTES, "b");
    let fed = 0;
    while (rec.errors.length === 0) {
      rec.parser.write(piece);
      fed += piece.length;
    }
    expect(fed).toBeLessThanOrEqual(100_000 + PIECE_BYTES);
  });

  it("setLimits applies to the next stanza (pre-auth -> post-auth)", () => {
    const rec = record({ maxStanzaBytes: 200, maxDepth: 2, maxElements: 2 }); // the header fits
    const big = `<message><body>${"x".repeat(300)}</body><x><y/></x></message>`;
    rec.parser.write(HEADER);
    rec.parser.setLimits({ maxStanzaBytes: 262_144, maxDepth: 64 });
    rec.parser.write(big);
    expect(rec.errors).toEqual([]);
    rec.parser.setLimits({ maxStanzaBytes: 200, maxDepth: 64 });
    rec.parser.write(big);
    expect(rec.errors.map((e) => e.condition)).toEqual(["policy-violation"]);
  });

  it("rejects invalid limits as a programmer error", () => {
    expect(() => record({ maxStanzaBytes: 0, maxDepth: 4 })).toThrow(RangeError);
    expect(() => record({ maxStanzaBytes: 10, maxDepth: 1.5 })).toThrow(/maxDepth/);
  });

  it("limits the stream header too", () => {
    const rec = record({ maxStanzaBytes: 64, maxDepth: 4 });
    rec.parser.write(HEADER);
    expect(rec.errors.map((e) => e.condition)).toEqual(["policy-violation"]);
  });
});
