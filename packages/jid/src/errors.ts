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

/** RFC 7622 §3.2–§3.4: every part is at most 1023 octets of UTF-8 after preparation. */
export const MAX_PART_BYTES = 1023;

/**
 * An input no preparation can bring under the limit, refused before the costly steps. An
 * output code point comes from at most 4 input code points (NFC composes at most a full
 * canonical decomposition, 4 long; width and case mapping never shrink), each at most 2 UTF-16
 * units; the output has at most 1023 code points. So more than 8 * 1023 units is too long.
 * (UTS-46 deletes a few ignorable code points, such as U+00AD, from domain names: a domainpart
 * padded with more than 8 KB of them is refused too, which no real name needs.)
 */
export function checkInputLength(input: string, part: JidPart): void {
  if (input.length > 8 * MAX_PART_BYTES) throw new JidError(part, `is ${input.length} characters long (at most ${MAX_PART_BYTES} bytes)`);
}

/** RFC 7622 §3.2–§3.4: every part is 1..1023 octets of UTF-8 after preparation. */
export function checkLength(value: string, part: JidPart): void {
  if (value === "") throw new JidError(part, "is empty");
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short strings skip the count.
  if (value.length * 3 <= MAX_PART_BYTES) return;
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_PART_BYTES) throw new JidError(part, `is ${bytes} bytes long (at most ${MAX_PART_BYTES})`);
}
