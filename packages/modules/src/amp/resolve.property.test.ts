import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { SessionRecord } from "@xmppd/storage";
import { disposition, type DispositionInput } from "./disposition.ts";
import { evaluatePass, markFired, type Pass } from "./resolve.ts";
import { RECIPIENT, rulesOf } from "./test-helpers.ts";

const T0 = Date.UTC(2030, 0, 1);
const ruleXml = fc.oneof(
  fc.record({ c: fc.constant("deliver"), v: fc.constantFrom("direct", "forward", "gateway", "none", "stored") }),
  fc.record({ c: fc.constant("match-resource"), v: fc.constantFrom("any", "exact", "other") }),
  fc.record({ c: fc.constant("expire-at"), v: fc.integer({ min: -5, max: 5 }).map((s) => new Date(T0 + s * 1000).toISOString()) }),
).chain(({ c, v }) => fc.constantFrom("alert", "drop", "error", "notify").map((a) => `<rule condition="${c}" action="${a}" value="${v}"/>`));

const sessionArb = fc.record({
  resource: fc.constantFrom("a", "b", "c", "laptop"),
  priority: fc.integer({ min: -128, max: 127 }),
  available: fc.boolean(),
}).map((s): SessionRecord => ({ jid: `${RECIPIENT}/${s.resource}`, gateway: "g", conn: s.resource, available: s.available, priority: s.priority, boundAt: 0 }));

const inputArb = fc.record({
  type: fc.constantFrom(undefined, "chat", "normal", "headline", "groupchat", "bogus"),
  to: fc.constantFrom(RECIPIENT, `${RECIPIENT}/laptop`, `${RECIPIENT}/a`),
  sessions: fc.uniqueArray(sessionArb, { selector: (s) => s.jid, maxLength: 4 }),
  accountExists: fc.boolean(),
  storageEnabled: fc.boolean(),
  quotaReached: fc.boolean(),
}) as fc.Arbitrary<DispositionInput>;

const passes = fc.array(fc.record({ pass: fc.constantFrom<Pass>("E2", "E3"), dt: fc.integer({ min: -6000, max: 6000 }) }), { maxLength: 6 });

describe("resolve properties", () => {
  it("is deterministic and fires each rule at most once across an E1, E2, E3 sequence", () => {
    fc.assert(
      fc.property(fc.array(ruleXml, { minLength: 1, maxLength: 6 }), inputArb, fc.integer({ min: -6000, max: 6000 }), passes, (xs, input, dt, later) => {
        const rules = rulesOf(xs.join(""));
        const disp = disposition(input);
        const first = evaluatePass(rules, "E1", disp, T0 + dt, []);
        expect(evaluatePass(rules, "E1", disposition(input), T0 + dt, [])).toEqual(first);
        const firedAt: number[] = first.fired === null ? [] : [first.fired];
        let flags = markFired([], first);
        for (const { pass, dt: d } of later) {
          const r = evaluatePass(rules, pass, disp, T0 + d, flags);
          if (r.fired !== null) {
            expect(rules[r.fired]!.condition).toBe("expire-at");
            firedAt.push(r.fired);
          }
          flags = markFired(flags, r);
        }
        expect(new Set(firedAt).size).toBe(firedAt.length);
      }),
    );
  });

  it("a negative-priority or unavailable resource is never the destination for a bare JID", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = disposition({ ...input, to: RECIPIENT });
        if (d.deliver !== "direct") return;
        const target = input.sessions.find((s) => s.jid === d.destination);
        expect(target?.available).toBe(true);
        expect(target!.priority).toBeGreaterThanOrEqual(0);
        expect(target!.priority).toBe(Math.max(...input.sessions.filter((s) => s.available).map((s) => s.priority)));
      }),
    );
  });

  it("only sessions with available non-negative resources make a bare JID direct", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const eligible = input.accountExists && input.sessions.some((s) => s.available && s.priority >= 0);
        expect(disposition({ ...input, to: RECIPIENT }).deliver === "direct").toBe(eligible);
      }),
    );
  });
});
