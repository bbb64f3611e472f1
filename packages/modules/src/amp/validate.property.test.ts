import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { xml } from "@xmppd/xml";
import { parseAmp } from "./parse.ts";
import { parseUtcDateTime } from "./datetime.ts";
import { validateAmp } from "./validate.ts";

const NS_AMP = "http://jabber.org/protocol/amp";
const PRIORITY = ["unsupported-conditions", "unsupported-actions", "invalid-rules"];

// Attribute values mixing legal names with arbitrary strings, sometimes absent.
const attr = (legal: string[]) => fc.option(fc.oneof(fc.constantFrom(...legal), fc.string()), { nil: undefined });
const ruleAttrs = fc.record({
  condition: attr(["deliver", "expire-at", "match-resource"]),
  action: attr(["alert", "drop", "error", "notify"]),
  value: attr(["direct", "stored", "none", "any", "exact", "other", "2004-01-01T00:00:00Z"]),
});

const LEGAL: Record<string, (v: string) => boolean> = {
  deliver: (v) => ["direct", "forward", "gateway", "none", "stored"].includes(v),
  "match-resource": (v) => ["any", "exact", "other"].includes(v),
  "expire-at": (v) => parseUtcDateTime(v) !== null,
};

/** DP-03 (c) restated independently of the implementation. */
function category(r: { condition?: string; action?: string; value?: string }): string {
  if (r.condition !== undefined && !Object.hasOwn(LEGAL, r.condition)) return "unsupported-conditions";
  if (r.action !== undefined && !["alert", "drop", "error", "notify"].includes(r.action)) return "unsupported-actions";
  if (r.condition === undefined || r.action === undefined || !r.value || !LEGAL[r.condition]!(r.value)) return "invalid-rules";
  return "ok";
}

function message(rules: { condition?: string; action?: string; value?: string }[]) {
  return xml("message", { id: "p1", from: "a@x/r", to: "b@y" }, xml("amp", { xmlns: NS_AMP }, ...rules.map((r) => xml("rule", r))));
}

describe("validateAmp properties", () => {
  it("never throws, reports the first non-empty category, lists each offending rule once in document order", () => {
    fc.assert(
      fc.property(fc.array(ruleAttrs, { minLength: 1, maxLength: 8 }), (rules) => {
        const m = message(rules);
        const req = parseAmp(m)!;
        const result = validateAmp(m, req);
        const kinds = rules.map(category);
        const expected = PRIORITY.find((k) => kinds.includes(k));
        if (result.ok) {
          expect(expected).toBeUndefined();
          expect(result.rules.map((r) => r.index)).toEqual(req.rules.map((r) => r.index));
          return;
        }
        expect(result.kind).toBe(expected);
        const indexes = result.offending.map((r) => r.index);
        expect(indexes).toEqual(kinds.flatMap((k, i) => (k === expected ? [i] : [])));
        expect(new Set(indexes).size).toBe(indexes.length);
      }),
    );
  });
});
