// Errors raised by the strict parser. The condition is the RFC 6120 §4.9.3 stream error
// condition the connection should be closed with; `text` is a human-readable detail.

/** The stream error conditions this package can decide on its own (a subset of RFC 6120 §4.9.3). */
export type XmlErrorCondition =
  | "bad-format"
  | "bad-namespace-prefix"
  | "invalid-namespace"
  | "not-well-formed"
  | "policy-violation"
  | "restricted-xml"
  | "unsupported-encoding";

export class XmlError extends Error {
  readonly condition: XmlErrorCondition;
  readonly text: string;

  constructor(condition: XmlErrorCondition, text: string, options?: { cause?: unknown }) {
    super(`${condition}: ${text}`, options);
    this.name = "XmlError";
    this.condition = condition;
    this.text = text;
  }
}

/** An XmlError raised while reading a stream: the stream must be closed with `condition`. */
export class XmlStreamError extends XmlError {
  constructor(condition: XmlErrorCondition, text: string, options?: { cause?: unknown }) {
    super(condition, text, options);
    this.name = "XmlStreamError";
  }
}

export function notWellFormed(text: string): XmlError {
  return new XmlError("not-well-formed", text);
}

export function restricted(text: string): XmlError {
  return new XmlError("restricted-xml", `${text} (RFC 6120 §11.1)`);
}

export function policy(text: string): XmlError {
  return new XmlError("policy-violation", text);
}
