// Every transition of RFC 6121 Appendix A, in the RFC's own notation, over the nine states.
import { describe, expect, it } from "vitest";
import { NONE, inbound, isVisible, outbound, type SubState, type SubscriptionType } from "./subscription.ts";

const STATES = ["None", "None + Pending Out", "None + Pending In", "None + Pending Out+In", "To", "To + Pending In", "From", "From + Pending Out", "Both"] as const;
type StateName = (typeof STATES)[number];

function parse(name: StateName): SubState {
  const [base, pending = ""] = name.split(" + ");
  return {
    subscription: base!.toLowerCase() as SubState["subscription"],
    ask: pending.includes("Out"),
    pendingIn: pending === "Pending In" || pending === "Pending Out+In",
    approved: false,
  };
}

function show(s: SubState): string {
  const base = s.subscription === "none" ? "None" : s.subscription[0]!.toUpperCase() + s.subscription.slice(1);
  const pending = s.ask && s.pendingIn ? " + Pending Out+In" : s.ask ? " + Pending Out" : s.pendingIn ? " + Pending In" : "";
  return base + pending + (s.approved ? " (pre-approved)" : "");
}

// [from, to, routed/delivered, auto-reply subscribed] per state, in STATES order.
type Row = [StateName, string, boolean, boolean?];

const OUTBOUND: Record<SubscriptionType, Row[]> = {
  // A.2.1: routed in every state; the contact's server decides.
  subscribe: [
    ["None", "None + Pending Out", true], ["None + Pending Out", "None + Pending Out", true],
    ["None + Pending In", "None + Pending Out+In", true], ["None + Pending Out+In", "None + Pending Out+In", true],
    ["To", "To", true], ["To + Pending In", "To + Pending In", true],
    ["From", "From + Pending Out", true], ["From + Pending Out", "From + Pending Out", true], ["Both", "Both", true],
  ],
  // A.2.2
  unsubscribe: [
    ["None", "None", true], ["None + Pending Out", "None", true], ["None + Pending In", "None + Pending In", true],
    ["None + Pending Out+In", "None + Pending In", true], ["To", "None", true], ["To + Pending In", "None + Pending In", true],
    ["From", "From", true], ["From + Pending Out", "From", true], ["Both", "From", true],
  ],
  // A.2.3: without a pending request, a pre-approval (§3.4) that is not routed.
  subscribed: [
    ["None", "None (pre-approved)", false], ["None + Pending Out", "None + Pending Out (pre-approved)", false],
    ["None + Pending In", "From", true], ["None + Pending Out+In", "From + Pending Out", true],
    ["To", "To (pre-approved)", false], ["To + Pending In", "Both", true],
    ["From", "From", false], ["From + Pending Out", "From + Pending Out", false], ["Both", "Both", false],
  ],
  // A.2.4
  unsubscribed: [
    ["None", "None", false], ["None + Pending Out", "None + Pending Out", false], ["None + Pending In", "None", true],
    ["None + Pending Out+In", "None + Pending Out", true], ["To", "To", false], ["To + Pending In", "To", true],
    ["From", "None", true], ["From + Pending Out", "None + Pending Out", true], ["Both", "To", true],
  ],
};

const INBOUND: Record<SubscriptionType, Row[]> = {
  // A.3.1: already 'from': the server answers subscribed itself and does not deliver.
  subscribe: [
    ["None", "None + Pending In", true], ["None + Pending Out", "None + Pending Out+In", true],
    ["None + Pending In", "None + Pending In", false], ["None + Pending Out+In", "None + Pending Out+In", false],
    ["To", "To + Pending In", true], ["To + Pending In", "To + Pending In", false],
    ["From", "From", false, true], ["From + Pending Out", "From + Pending Out", false, true], ["Both", "Both", false, true],
  ],
  // A.3.2
  unsubscribe: [
    ["None", "None", false], ["None + Pending Out", "None + Pending Out", false], ["None + Pending In", "None", true],
    ["None + Pending Out+In", "None + Pending Out", true], ["To", "To", false], ["To + Pending In", "To", true],
    ["From", "None", true], ["From + Pending Out", "None + Pending Out", true], ["Both", "To", true],
  ],
  // A.3.3
  subscribed: [
    ["None", "None", false], ["None + Pending Out", "To", true], ["None + Pending In", "None + Pending In", false],
    ["None + Pending Out+In", "To + Pending In", true], ["To", "To", false], ["To + Pending In", "To + Pending In", false],
    ["From", "From", false], ["From + Pending Out", "Both", true], ["Both", "Both", false],
  ],
  // A.3.4
  unsubscribed: [
    ["None", "None", false], ["None + Pending Out", "None", true], ["None + Pending In", "None + Pending In", false],
    ["None + Pending Out+In", "None + Pending In", true], ["To", "None", true], ["To + Pending In", "None + Pending In", true],
    ["From", "From", false], ["From + Pending Out", "From", true], ["Both", "From", true],
  ],
};

describe("RFC 6121 Appendix A", () => {
  it("parses and shows the nine states", () => {
    for (const name of STATES) expect(show(parse(name))).toBe(name);
  });

  for (const [type, rows] of Object.entries(OUTBOUND) as [SubscriptionType, Row[]][]) {
    it(`A.2 outbound ${type}: every state`, () => {
      expect(rows.map(([from]) => from)).toEqual([...STATES]);
      for (const [from, to, routed] of rows) {
        const out = outbound(parse(from), type);
        expect([from, show(out.next), out.route]).toEqual([from, to, routed]);
      }
    });
  }

  for (const [type, rows] of Object.entries(INBOUND) as [SubscriptionType, Row[]][]) {
    it(`A.3 inbound ${type}: every state`, () => {
      expect(rows.map(([from]) => from)).toEqual([...STATES]);
      for (const [from, to, delivered, autoReply = false] of rows) {
        const got = inbound(parse(from), type);
        expect([from, show(got.next), got.deliver, got.autoReply === "subscribed"]).toEqual([from, to, delivered, autoReply]);
      }
    });
  }
});

describe("pre-approval (RFC 6121 §3.4)", () => {
  const preApproved = outbound(NONE, "subscribed").next;

  it("approves the contact's later request without asking the account", () => {
    const got = inbound(preApproved, "subscribe");
    expect(show(got.next)).toBe("From");
    expect(got).toMatchObject({ deliver: false, autoReply: "subscribed" });
    expect(show(inbound({ ...parse("To"), approved: true }, "subscribe").next)).toBe("Both");
  });

  it("is cancelled by unsubscribed, silently", () => {
    const got = outbound(preApproved, "unsubscribed");
    expect(show(got.next)).toBe("None");
    expect(got.route).toBe(false);
  });
});

describe("visibility", () => {
  const item = { jid: "a@example.com", name: null, groups: [], subscription: "none" as const, ask: null, approved: false, pendingIn: true, pendingInStanza: "<presence/>" };
  it("hides an item that only remembers a pending request, and shows any other", () => {
    expect(isVisible(item)).toBe(false);
    expect(isVisible({ ...item, name: "A" })).toBe(true);
    expect(isVisible({ ...item, groups: ["G"] })).toBe(true);
    expect(isVisible({ ...item, ask: "subscribe" })).toBe(true);
    expect(isVisible({ ...item, subscription: "to" })).toBe(true);
    expect(isVisible({ ...item, pendingIn: false })).toBe(true);
  });
});
