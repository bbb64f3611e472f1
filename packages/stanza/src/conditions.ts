// The RFC 6120 error condition tables: stream errors (§4.9.3) and stanza errors (§8.3.3).

/** RFC 6120 §4.9.3.1 – §4.9.3.25. */
export const STREAM_ERROR_CONDITIONS = [
  "bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone",
  "host-unknown", "improper-addressing", "internal-server-error", "invalid-from",
  "invalid-namespace", "invalid-xml", "not-authorized", "not-well-formed", "policy-violation",
  "remote-connection-failed", "reset", "resource-constraint", "restricted-xml", "see-other-host",
  "system-shutdown", "undefined-condition", "unsupported-encoding", "unsupported-feature",
  "unsupported-stanza-type", "unsupported-version",
] as const;

export type StreamErrorCondition = (typeof STREAM_ERROR_CONDITIONS)[number];

/** RFC 6120 §8.3.2. */
export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/**
 * RFC 6120 §8.3.3.1 – §8.3.3.22: each condition with the error type the RFC gives it (for
 * undefined-condition, which may take any type, "cancel").
 */
export const STANZA_ERROR_TYPES = Object.freeze({
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  gone: "cancel",
  "internal-server-error": "cancel",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  redirect: "modify",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "subscription-required": "auth",
  "undefined-condition": "cancel",
  "unexpected-request": "wait",
} as const satisfies Record<string, StanzaErrorType>);

export type StanzaErrorCondition = keyof typeof STANZA_ERROR_TYPES;

export const STANZA_ERROR_CONDITIONS = Object.freeze(Object.keys(STANZA_ERROR_TYPES) as StanzaErrorCondition[]);
