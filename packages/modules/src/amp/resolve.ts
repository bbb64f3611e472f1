// XEP-0079 §2.2.3 rule processing as DP-02 reads it: document order, the first rule whose
// condition is met fires and ends the pass (notify too, D16), each rule fires at most once.
import type { Disposition } from "./disposition.ts";
import type { Rule } from "./types.ts";

/** E1 at receipt; E2 when a stored message is flushed; E3 when its expiry timer fires. */
export type Pass = "E1" | "E2" | "E3";

/**
 * What happens to the message: delivered now, kept in (or written to) the offline queue,
 * bounced with service-unavailable (DP-18), or discarded without an error.
 */
export type Effect = "deliver" | "store" | "bounce" | "discard";

export interface Outcome {
  /** The event sent to the sender (DP-04), named by the fired rule's action. */
  event: "alert" | "error" | "notify" | null;
  effect: Effect;
}

export interface PassResult {
  /** The fired rule's index, or null when none fired. */
  fired: number | null;
  outcome: Outcome;
}

/** `fired[i]` tells whether the rule with index i fired in an earlier pass. */
export function evaluatePass(rules: Rule[], pass: Pass, disp: Disposition, nowMs: number, fired: readonly boolean[]): PassResult {
  const candidates = rules.filter((r) => !fired[r.index] && (pass === "E1" || r.condition === "expire-at"));
  const rule = candidates.find((r) => isMet(r, disp, nowMs));
  const fallback = defaultEffect(pass, disp);
  if (!rule) return { fired: null, outcome: { event: null, effect: fallback } };
  // XEP-0079 §3.4: drop, alert and error end delivery; notify lets the default behaviour run
  // (DP-18: so a `none` still bounces after a notify).
  const outcome: Outcome =
    rule.action === "notify" ? { event: "notify", effect: fallback } : { event: rule.action === "drop" ? null : rule.action, effect: "discard" };
  return { fired: rule.index, outcome };
}

function defaultEffect(pass: Pass, disp: Disposition): Effect {
  // DP-02: E2 delivers the flushed message, E3 leaves it stored.
  if (pass === "E2") return "deliver";
  if (pass === "E3") return "store";
  if (disp.deliver === "direct") return "deliver";
  if (disp.deliver === "stored") return "store";
  return disp.bounce ? "bounce" : "discard";
}

/** Whether one rule's condition is met (XEP-0079 §3.3). */
export function isMet(rule: Rule, disp: Disposition, nowMs: number): boolean {
  switch (rule.condition) {
    case "deliver":
      // forward and gateway are legal values this server never meets (DP-07 has no such disposition).
      return disp.deliver === rule.value;
    case "expire-at":
      // XEP-0079 §3.3.2 "on or after" (D15, DP-20).
      return nowMs >= rule.value;
    case "match-resource":
      return matchResource(rule.value, disp);
  }
}

/** DP-09: destination resource against the intended one; a stored message's destination is resourceless. */
function matchResource(value: "any" | "exact" | "other", disp: Disposition): boolean {
  const intendedBare = !disp.intended.includes("/");
  switch (value) {
    case "any":
      return disp.deliver === "direct";
    case "exact":
      return intendedBare ? disp.deliver === "stored" : disp.deliver === "direct" && disp.destination === disp.intended;
    case "other":
      return disp.deliver === "direct" && disp.destination !== disp.intended;
  }
}

/** The fired flags after a pass: a rule fires at most once (DP-02). */
export function markFired(fired: readonly boolean[], result: PassResult): boolean[] {
  const next = [...fired];
  if (result.fired !== null) next[result.fired] = true;
  return next;
}

/** DP-02/DP-21: when the E3 timer is due, the earliest unfired expire-at value, or null. */
export function nextExpiry(rules: Rule[], fired: readonly boolean[]): number | null {
  let next: number | null = null;
  for (const r of rules) if (r.condition === "expire-at" && !fired[r.index] && (next === null || r.value < next)) next = r.value;
  return next;
}
