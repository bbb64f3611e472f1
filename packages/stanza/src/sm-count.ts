// XEP-0198 counting: h is a count mod 2^32 on the wire (§4) and an unwrapped number everywhere
// inside the server.
export const NS_SM = "urn:xmpp:sm:3";

/** Resumption ids: 18 random bytes, base64url. Anything else from a client is unknown at once. */
export const SM_ID = /^[A-Za-z0-9_-]{24}$/;

const WRAP = 2 ** 32;

/** The peer's h (0 .. 2^32-1) as an unwrapped count, given the last acknowledged unwrapped count. */
export function unwrapH(h: number, acked: number): number {
  const wrapped = acked % WRAP;
  return acked + ((h - wrapped + WRAP) % WRAP);
}

/** An unwrapped count as h on the wire. */
export function wrapH(count: number): number {
  return count % WRAP;
}

/** h as a client sends it: an integer 0 .. 2^32-1 in decimal; anything else is null. */
export function parseH(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return null;
  const h = Number(text);
  return h < WRAP ? h : null;
}
