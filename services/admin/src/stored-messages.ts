// How the admin shows a stored message's XEP-0079 state: its rules as condition=value:action,
// fired ones marked, and an AMP event kept for an offline sender as such.

interface Meta {
  amp?: { rules?: { condition?: string; action?: string; value?: string }[]; fired?: boolean[] };
  ampEvent?: boolean;
}

export function describeRules(meta: unknown): string {
  const m = (meta ?? {}) as Meta;
  if (m.ampEvent) return "(AMP event for this account)";
  const rules = m.amp?.rules ?? [];
  return rules.map((r, i) => `${r.condition}=${r.value}:${r.action}${m.amp?.fired?.[i] ? " (fired)" : ""}`).join(", ");
}
