// Prometheus labels for XEP-0079 rules: an expire-at value is a timestamp, so it is reported as
// "datetime" to keep the label set bounded.
import type { ampCore } from "@xmppd/modules";
import type { WorkContext } from "../context.ts";

export type RuleOutcome = "fired" | "refused";

export function countRule(ctx: WorkContext, rule: ampCore.Rule, outcome: RuleOutcome): void {
  const value = rule.condition === "expire-at" ? "datetime" : rule.value;
  ctx.metrics.ampRules.inc({ condition: rule.condition, value, action: rule.action, outcome });
  if (outcome === "fired" && rule.action !== "drop") ctx.metrics.ampEvents.inc({ event: rule.action });
}
