// XEP-0079 Advanced Message Processing: the data the pure AMP core passes around.
import type { Element } from "@xmppd/xml";

/** XEP-0079 §3.3: the conditions this server supports (all three defined ones). */
export const CONDITIONS = ["deliver", "expire-at", "match-resource"] as const;
/** XEP-0079 §3.4: the actions this server supports (all four defined ones). */
export const ACTIONS = ["alert", "drop", "error", "notify"] as const;
export const DELIVER_VALUES = ["direct", "forward", "gateway", "none", "stored"] as const;
export const MATCH_VALUES = ["any", "exact", "other"] as const;

export type Condition = (typeof CONDITIONS)[number];
export type Action = (typeof ACTIONS)[number];
export type DeliverValue = (typeof DELIVER_VALUES)[number];
export type MatchValue = (typeof MATCH_VALUES)[number];

/** A <rule/> as sent: attributes possibly missing, `index` its position among the rules. */
export interface RawRule {
  index: number;
  condition?: string;
  action?: string;
  value?: string;
  element: Element;
}

/** The <amp/> of a message, rules in document order (DP-03: other children are ignored). */
export interface AmpRequest {
  rules: RawRule[];
  perHop?: string;
  status?: string;
  element: Element;
}

interface RuleBase {
  index: number;
  action: Action;
  raw: RawRule;
}

/** A validated rule; expire-at values are UTC epoch milliseconds (DP-20, DP-21). */
export type Rule =
  | (RuleBase & { condition: "deliver"; value: DeliverValue })
  | (RuleBase & { condition: "match-resource"; value: MatchValue })
  | (RuleBase & { condition: "expire-at"; value: number });

export type FailureKind = "bad-request" | "unsupported-conditions" | "unsupported-actions" | "invalid-rules";

export type ValidationResult =
  | { ok: true; rules: Rule[] }
  | { ok: false; kind: FailureKind; offending: RawRule[] };
