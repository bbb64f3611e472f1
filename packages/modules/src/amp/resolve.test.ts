import { describe, expect, it } from "vitest";
import { disposition, type DispositionInput } from "./disposition.ts";
import { evaluatePass, markFired, nextExpiry } from "./resolve.ts";
import { RECIPIENT, rulesOf, session } from "./test-helpers.ts";

const FULL = `${RECIPIENT}/laptop`;
const T0 = Date.UTC(2030, 0, 1);
const input: DispositionInput = { type: "chat", to: RECIPIENT, sessions: [], accountExists: true, storageEnabled: true, quotaReached: false };

function matchResource(to: string, sessions: DispositionInput["sessions"], extra: Partial<DispositionInput> = {}) {
  const d = disposition({ ...input, to, sessions, ...extra });
  return (["any", "exact", "other"] as const).map((v) => {
    const rules = rulesOf(`<rule condition="match-resource" action="drop" value="${v}"/>`);
    return evaluatePass(rules, "E1", d, T0, []).fired === 0 ? "met" : "not met";
  });
}

describe("match-resource (DP-09 table)", () => {
  it.each([
    ["full R available -> R", FULL, [session("laptop", -3)], {}, ["met", "met", "not met"]],
    ["full R unavailable, chat, others eligible", FULL, [session("desktop", 1)], {}, ["met", "not met", "met"]],
    ["full R, nothing eligible, stored", FULL, [], {}, ["not met", "not met", "not met"]],
    ["full R, nothing eligible, none", FULL, [], { storageEnabled: false }, ["not met", "not met", "not met"]],
    ["bare, >=1 eligible", RECIPIENT, [session("laptop", 0)], {}, ["met", "not met", "met"]],
    ["bare, stored offline", RECIPIENT, [session("laptop", -1)], {}, ["not met", "met", "not met"]],
    ["bare, none", RECIPIENT, [], { quotaReached: true }, ["not met", "not met", "not met"]],
  ] as const)("%s", (_, to, sessions, extra, expected) => {
    expect(matchResource(to, [...sessions], extra)).toEqual(expected);
  });
});

describe("evaluatePass (DP-02, DP-18)", () => {
  const stored = disposition(input);
  const direct = disposition({ ...input, sessions: [session("a", 0)] });
  const none = disposition({ ...input, storageEnabled: false });
  const headlineNone = disposition({ ...input, type: "headline" });

  it("first met rule in document order fires and ends the pass", () => {
    const rules = rulesOf(`<rule condition="deliver" action="alert" value="direct"/><rule condition="deliver" action="error" value="stored"/><rule condition="deliver" action="alert" value="stored"/>`);
    expect(evaluatePass(rules, "E1", stored, T0, [])).toEqual({ fired: 1, outcome: { event: "error", effect: "discard" } });
  });

  it("notify ends the pass too, then the default behaviour runs", () => {
    const rules = rulesOf(`<rule condition="deliver" action="notify" value="direct"/><rule condition="deliver" action="drop" value="direct"/>`);
    expect(evaluatePass(rules, "E1", direct, T0, [])).toEqual({ fired: 0, outcome: { event: "notify", effect: "deliver" } });
  });

  it("drop discards silently, alert discards with an alert", () => {
    expect(evaluatePass(rulesOf(`<rule condition="deliver" action="drop" value="stored"/>`), "E1", stored, T0, [])).toEqual({ fired: 0, outcome: { event: null, effect: "discard" } });
    expect(evaluatePass(rulesOf(`<rule condition="deliver" action="alert" value="none"/>`), "E1", none, T0, [])).toEqual({ fired: 0, outcome: { event: "alert", effect: "discard" } });
  });

  it("without a met rule the default applies: deliver, store, bounce, or silence for headline", () => {
    const rules = rulesOf(`<rule condition="deliver" action="drop" value="forward"/>`);
    expect(evaluatePass(rules, "E1", direct, T0, []).outcome).toEqual({ event: null, effect: "deliver" });
    expect(evaluatePass(rules, "E1", stored, T0, []).outcome).toEqual({ event: null, effect: "store" });
    expect(evaluatePass(rules, "E1", none, T0, []).outcome).toEqual({ event: null, effect: "bounce" });
    expect(evaluatePass(rules, "E1", headlineNone, T0, []).outcome).toEqual({ event: null, effect: "discard" });
  });

  it("notify on none keeps the bounce (DP-18)", () => {
    const rules = rulesOf(`<rule condition="deliver" action="notify" value="none"/>`);
    expect(evaluatePass(rules, "E1", none, T0, [])).toEqual({ fired: 0, outcome: { event: "notify", effect: "bounce" } });
  });

  it("expire-at is met on or after its value (D15)", () => {
    const rules = rulesOf(`<rule condition="expire-at" action="drop" value="2030-01-01T00:00:00.000Z"/>`);
    expect(evaluatePass(rules, "E1", direct, T0 - 1, []).fired).toBeNull();
    expect(evaluatePass(rules, "E1", direct, T0, []).fired).toBe(0);
  });

  it("E2 and E3 look only at unfired expire-at rules; notify then delivers (E2) or keeps (E3)", () => {
    const rules = rulesOf(
      `<rule condition="deliver" action="drop" value="stored"/><rule condition="expire-at" action="notify" value="2030-01-01T00:00:00Z"/><rule condition="expire-at" action="alert" value="2030-01-01T00:00:01Z"/>`,
    );
    expect(evaluatePass(rules, "E2", direct, T0 - 1, [])).toEqual({ fired: null, outcome: { event: null, effect: "deliver" } });
    const e3 = evaluatePass(rules, "E3", stored, T0, []);
    expect(e3).toEqual({ fired: 1, outcome: { event: "notify", effect: "store" } });
    const flags = markFired([], e3);
    expect(nextExpiry(rules, flags)).toBe(T0 + 1000);
    expect(evaluatePass(rules, "E2", direct, T0 + 500, flags)).toEqual({ fired: null, outcome: { event: null, effect: "deliver" } });
    expect(evaluatePass(rules, "E3", stored, T0 + 1000, flags)).toEqual({ fired: 2, outcome: { event: "alert", effect: "discard" } });
    expect(nextExpiry(rules, markFired(flags, { fired: 2, outcome: { event: "alert", effect: "discard" } }))).toBeNull();
  });
});
