// XEP-0079 §2.2.1 validation as DP-03 orders it: (a) id, (b) structure, (c) per rule, and,
// separately because it needs the recipient's roster, (d) the security refusals of DP-11.
import type { Element } from "@xmppd/xml";
import { parseUtcDateTime } from "./datetime.ts";
import {
  ACTIONS,
  CONDITIONS,
  DELIVER_VALUES,
  MATCH_VALUES,
  type Action,
  type AmpRequest,
  type Condition,
  type FailureKind,
  type RawRule,
  type Rule,
  type ValidationResult,
} from "./types.ts";

type RuleCheck = { ok: true; rule: Rule } | { ok: false; kind: Exclude<FailureKind, "bad-request"> };

/** DP-03: the error categories in the order they are reported. */
const PRIORITY = ["unsupported-conditions", "unsupported-actions", "invalid-rules"] as const;

/** DP-03 (a)-(c) for a message sent by a local client. */
export function validateAmp(message: Element, request: AmpRequest): ValidationResult {
  // DP-12 (XEP-0079 §1.3 requires a non-empty id and defines no error): bad-request.
  const id = message.attrs.id as string | undefined;
  if (!id) return badRequest();
  // DP-03 (b), XEP-0079 §4.1: at least one rule, per-hop true|false, no status from a client (DP-16).
  if (request.rules.length === 0) return badRequest();
  if (request.perHop !== undefined && request.perHop !== "true" && request.perHop !== "false") return badRequest();
  if (request.status !== undefined) return badRequest();
  return checkRules(request.rules);
}

function checkRules(raws: RawRule[]): ValidationResult {
  const rules: Rule[] = [];
  const failed = new Map<FailureKind, RawRule[]>();
  for (const raw of raws) {
    const check = checkRule(raw);
    if (check.ok) rules.push(check.rule);
    else failed.set(check.kind, [...(failed.get(check.kind) ?? []), raw]);
  }
  // DP-03: one error, the first non-empty category, listing every rule of it in document order.
  for (const kind of PRIORITY) {
    const offending = failed.get(kind);
    if (offending) return { ok: false, kind, offending };
  }
  return { ok: true, rules };
}

/** DP-03 (c): condition first, then action, then the attributes and the value. */
export function checkRule(raw: RawRule): RuleCheck {
  const { condition, action, value } = raw;
  if (condition !== undefined && !isOneOf(CONDITIONS, condition)) return { ok: false, kind: "unsupported-conditions" };
  if (action !== undefined && !isOneOf(ACTIONS, action)) return { ok: false, kind: "unsupported-actions" };
  // XEP-0079 §4.2: all three attributes MUST be present and value MUST NOT be empty.
  if (condition === undefined || action === undefined || !value) return { ok: false, kind: "invalid-rules" };
  const rule = typedRule(raw, condition, action, value);
  return rule ? { ok: true, rule } : { ok: false, kind: "invalid-rules" };
}

function typedRule(raw: RawRule, condition: Condition, action: Action, value: string): Rule | null {
  const base = { index: raw.index, action, raw };
  switch (condition) {
    case "deliver":
      return isOneOf(DELIVER_VALUES, value) ? { ...base, condition, value } : null;
    case "match-resource":
      return isOneOf(MATCH_VALUES, value) ? { ...base, condition, value } : null;
    case "expire-at": {
      const at = parseUtcDateTime(value);
      return at === null ? null : { ...base, condition, value: at };
    }
  }
}

export type SecurityLevel = "strict" | "performance" | "none";

/**
 * DP-11 (XEP-0079 §9): the rules refused for this sender, reported as invalid-rules. Decided before
 * any condition is evaluated, so the answer never reveals the recipient's presence. `drop` reveals
 * nothing and is never refused; a missing account has no presence to protect under `strict`.
 */
export function securityRefusals(rules: Rule[], level: SecurityLevel, senderAuthorised: boolean, recipientExists: boolean): Rule[] {
  if (level === "none") return [];
  if (level === "strict" && (senderAuthorised || !recipientExists)) return [];
  return rules.filter((r) => r.action !== "drop");
}

function badRequest(): ValidationResult {
  return { ok: false, kind: "bad-request", offending: [] };
}

function isOneOf<T extends string>(set: readonly T[], v: string): v is T {
  return (set as readonly string[]).includes(v);
}
