// Two local accounts exchanging any sequence of subscription presence, both halves of Appendix A
// applied as the router applies them (outbound at the sender, inbound at the contact when routed,
// the contact's automatic 'subscribed'): their two views of the relationship always agree.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NONE, SUBSCRIPTION_TYPES, hasFrom, hasTo, inbound, outbound, type SubState, type SubscriptionType } from "./subscription.ts";

type Side = "a" | "b";
type Views = Record<Side, SubState>;

function send(v: Views, from: Side, type: SubscriptionType): void {
  const to: Side = from === "a" ? "b" : "a";
  const out = outbound(v[from], type);
  v[from] = out.next;
  if (!out.route) return;
  const got = inbound(v[to], type);
  v[to] = got.next;
  // RFC 6121 §3.1.3: the contact's server answers for it; the answer arrives at the sender.
  if (got.autoReply === "subscribed") v[from] = inbound(v[from], "subscribed").next;
}

const steps = fc.array(fc.tuple(fc.constantFrom<Side>("a", "b"), fc.constantFrom(...SUBSCRIPTION_TYPES)), { maxLength: 30 });

describe("subscription state machine, two local accounts", () => {
  it("keeps each direction and each pending request the same from both sides", () => {
    fc.assert(
      fc.property(steps, (seq) => {
        const v: Views = { a: NONE, b: NONE };
        for (const [side, type] of seq) {
          send(v, side, type);
          // a sees b's presence exactly when b lets a see it, and the other way round.
          expect(hasTo(v.a)).toBe(hasFrom(v.b));
          expect(hasTo(v.b)).toBe(hasFrom(v.a));
          // A request is pending at the sender exactly while the contact holds it.
          expect(v.a.ask).toBe(v.b.pendingIn);
          expect(v.b.ask).toBe(v.a.pendingIn);
          // Neither asks for, nor holds a request for, what is already granted.
          for (const s of [v.a, v.b]) {
            expect(s.ask && hasTo(s)).toBe(false);
            expect(s.pendingIn && hasFrom(s)).toBe(false);
            expect(s.approved && hasFrom(s)).toBe(false);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
