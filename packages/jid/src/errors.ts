/** Which part of a JID a problem was found in (RFC 7622 §3). */
export type JidPart = "jid" | "localpart" | "domainpart" | "resourcepart";

/** A JID that cannot be prepared; the message names the part and the problem. */
export class JidError extends Error {
  override name = "JidError";
  readonly part: JidPart;

  constructor(part: JidPart, problem: string) {
    super(`${part} ${problem}`);
    this.part = part;
  }
}

/** "U+0040" style notation used in error messages. */
export function codePointName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** RFC 7622 §3.2–§3.4: every part is 1..1023 octets of UTF-8 after preparation. */
export function checkLength(value: string, part: JidPart): void {
  if (value === "") throw new JidError(part, "is empty");
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short strings skip the count.
  if (value.length * 3 <= 1023) return;
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > 1023) throw new JidError(part, `is ${bytes} bytes long (at most 1023)`);
}
