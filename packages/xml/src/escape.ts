// Escaping for text we write ourselves (the stream header; anything not built as an Element).

const TEXT = /[&<>]/g;
const ATTR = /[&<>"'\t\n\r]/g;
const REPLACEMENTS: Readonly<Record<string, string>> = {
  "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;",
  // XML 1.0 §3.3.3 would turn literal whitespace in a value into spaces; references survive.
  "\t": "&#9;", "\n": "&#10;", "\r": "&#13;",
};

function replace(ch: string): string {
  return REPLACEMENTS[ch] as string;
}

/** Escapes character data. */
export function escapeXml(text: string): string {
  return text.replace(TEXT, replace);
}

/** Escapes an attribute value for either quote style, keeping whitespace characters intact. */
export function escapeAttr(value: string): string {
  return value.replace(ATTR, replace);
}
