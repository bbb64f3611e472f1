import { describe, expect, it } from "vitest";
import { securityRefusals, validateAmp } from "./validate.ts";
import { ampMessage, requestOf, rulesOf } from "./test-helpers.ts";

function check(rulesXml: string, opts: Parameters<typeof ampMessage>[1] = {}) {
  const m = ampMessage(rulesXml, opts);
  const r = validateAmp(m, requestOf(m));
  return r.ok ? { ok: true as const, rules: r.rules.map((x) => [x.condition, x.action, x.value]) } : { ok: false as const, kind: r.kind, offending: r.offending.map((x) => x.index) };
}

const GOOD = `<rule condition="deliver" action="drop" value="stored"/>`;

describe("validateAmp (DP-03)", () => {
  it("accepts every legal condition/value with every action, expire-at as epoch ms", () => {
    expect(check(`${GOOD}<rule condition="match-resource" action="notify" value="other"/><rule condition="expire-at" action="alert" value="2004-01-01T00:00:00Z"/><rule condition="deliver" action="error" value="forward"/>`)).toEqual({
      ok: true,
      rules: [["deliver", "drop", "stored"], ["match-resource", "notify", "other"], ["expire-at", "alert", Date.UTC(2004, 0, 1)], ["deliver", "error", "forward"]],
    });
  });

  it("(a) missing or empty id is bad-request before anything else (DP-12)", () => {
    expect(check(`<rule condition="nope" action="x"/>`, { id: null })).toEqual({ ok: false, kind: "bad-request", offending: [] });
    expect(check(GOOD, { id: "" })).toEqual({ ok: false, kind: "bad-request", offending: [] });
  });

  it.each([
    ["no rule", `<other/>`, ""],
    ["no rule, only invalid-looking children", `<rules condition="x"/>`, ` per-hop="true"`],
    ["per-hop not true/false", GOOD, ` per-hop="yes"`],
    ["per-hop empty", GOOD, ` per-hop=""`],
    ["status from a client", GOOD, ` status="notify"`],
  ])("(b) %s is bad-request", (_, rules, ampAttrs) => {
    expect(check(rules, { ampAttrs })).toEqual({ ok: false, kind: "bad-request", offending: [] });
  });

  it("(b) per-hop true and false are accepted", () => {
    expect(check(GOOD, { ampAttrs: ` per-hop="true"` }).ok).toBe(true);
    expect(check(GOOD, { ampAttrs: ` per-hop="false"` }).ok).toBe(true);
  });

  it("(c) unsupported conditions win over actions and invalid rules, listing all of them", () => {
    const rules = `<rule condition="deliver" action="bounce" value="none"/><rule condition="x-foo" action="drop" value="1"/>${GOOD}<rule condition="deliver" action="drop" value="later"/><rule condition="" action="zap" value="1"/>`;
    expect(check(rules)).toEqual({ ok: false, kind: "unsupported-conditions", offending: [1, 4] });
  });

  it("(c) unsupported actions before invalid rules", () => {
    const rules = `<rule condition="deliver" action="drop" value="later"/><rule condition="deliver" action="bounce" value="none"/><rule action="store" value="x"/>`;
    expect(check(rules)).toEqual({ ok: false, kind: "unsupported-actions", offending: [1, 2] });
  });

  it.each([
    ["missing condition", `<rule action="drop" value="none"/>`],
    ["missing action", `<rule condition="deliver" value="none"/>`],
    ["missing value", `<rule condition="deliver" action="drop"/>`],
    ["empty value", `<rule condition="deliver" action="drop" value=""/>`],
    ["bad deliver value", `<rule condition="deliver" action="drop" value="Direct"/>`],
    ["bad match-resource value", `<rule condition="match-resource" action="drop" value="home"/>`],
    ["expire-at not UTC", `<rule condition="expire-at" action="drop" value="2004-01-01T00:00:00+01:00"/>`],
    ["expire-at not a date", `<rule condition="expire-at" action="drop" value="2004-02-30T00:00:00Z"/>`],
  ])("(c) %s is invalid-rules", (_, rule) => {
    expect(check(`${GOOD}${rule}${GOOD}`)).toEqual({ ok: false, kind: "invalid-rules", offending: [1] });
  });
});

describe("securityRefusals (DP-11)", () => {
  const rules = rulesOf(`<rule condition="deliver" action="drop" value="none"/><rule condition="deliver" action="alert" value="stored"/><rule condition="match-resource" action="error" value="any"/><rule condition="expire-at" action="notify" value="2004-01-01T00:00:00Z"/>`);
  const refused = (...args: [Parameters<typeof securityRefusals>[1], boolean, boolean]) => securityRefusals(rules, ...args).map((r) => r.index);

  it("strict refuses alert/error/notify for an unauthorised sender of an existing account", () => {
    expect(refused("strict", false, true)).toEqual([1, 2, 3]);
    expect(refused("strict", true, true)).toEqual([]);
    expect(refused("strict", false, false)).toEqual([]);
  });

  it("performance refuses alert/error/notify for everyone; none refuses nothing", () => {
    expect(refused("performance", true, true)).toEqual([1, 2, 3]);
    expect(refused("performance", false, false)).toEqual([1, 2, 3]);
    expect(refused("none", false, true)).toEqual([]);
  });

  it("a ruleset of drop rules is never refused", () => {
    const drops = rulesOf(`<rule condition="deliver" action="drop" value="none"/>`);
    expect(securityRefusals(drops, "performance", false, true)).toEqual([]);
    expect(securityRefusals(drops, "strict", false, true)).toEqual([]);
  });
});
