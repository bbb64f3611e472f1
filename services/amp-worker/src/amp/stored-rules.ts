// The XEP-0079 state kept beside a stored message (DP-05: <amp/> is stripped from the payload):
// the ruleset as sent and which rules have fired (DP-02: a rule fires at most once), or the mark
// of an event stored for an offline sender (DP-22).
import { ampCore } from "@xmppd/modules";
import { xml } from "@xmppd/xml";

type RuleAttrs = { condition?: string; action?: string; value?: string };

export interface StoredAmp {
  amp: { rules: RuleAttrs[]; fired: boolean[] };
}

export interface StoredEvent {
  ampEvent: true;
}

export function storedAmp(rules: ampCore.RawRule[], fired: readonly boolean[]): StoredAmp {
  return { amp: { rules: rules.map((r) => ({ condition: r.condition, action: r.action, value: r.value })), fired: rules.map((r) => fired[r.index] === true) } };
}

/** The rules of a stored message, validated again (they were valid when stored), or null. */
export function readStoredAmp(meta: unknown): { rules: ampCore.Rule[]; raws: ampCore.RawRule[]; fired: boolean[] } | null {
  const amp = (meta as Partial<StoredAmp> | null)?.amp;
  if (!amp || !Array.isArray(amp.rules) || !Array.isArray(amp.fired)) return null;
  const raws: ampCore.RawRule[] = amp.rules.map((attrs, index) => ({ index, ...attrs, element: xml("rule", { ...attrs }) }));
  const rules = raws.flatMap((raw) => {
    const check = ampCore.checkRule(raw);
    return check.ok ? [check.rule] : [];
  });
  return { rules, raws, fired: amp.fired.map((f) => f === true) };
}

export function isStoredEvent(meta: unknown): boolean {
  return (meta as Partial<StoredEvent> | null)?.ampEvent === true;
}
