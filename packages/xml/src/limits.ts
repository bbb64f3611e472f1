// Parser limits (docs/architecture.md "Limits"): the gateway tightens them before authentication
// and relaxes them after.

export interface XmlLimits {
  /** Raw bytes of one top-level element (stanza, or the stream header), counted before parsing. */
  maxStanzaBytes: number;
  /** Element nesting inside one stanza; the stanza element itself is depth 1. */
  maxDepth: number;
  /** Elements in one stanza, the stanza element included (used before authentication). */
  maxElements?: number;
}

/** Limits are set by our own code from validated config, so bad values are programmer errors. */
export function checkLimits(limits: XmlLimits): Readonly<Required<XmlLimits>> {
  const { maxStanzaBytes, maxDepth } = limits;
  const maxElements = limits.maxElements ?? Number.POSITIVE_INFINITY;
  for (const [key, value] of [["maxStanzaBytes", maxStanzaBytes], ["maxDepth", maxDepth], ["maxElements", maxElements]] as const) {
    if (!(value >= 1) || (Number.isFinite(value) && !Number.isInteger(value))) {
      throw new RangeError(`XmlLimits.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze({ maxStanzaBytes, maxDepth, maxElements });
}
