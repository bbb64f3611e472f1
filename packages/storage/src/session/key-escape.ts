// Redis key components built from JIDs and gateway ids are percent-escaped, not hashed, so keys
// stay readable in redis-cli. Escaped: '%' itself (keeps the mapping injective), the hash-tag
// braces '{' '}' (a '}' inside a bare JID would end the cluster hash tag early), ':' (our
// separator), the SCAN glob characters '*' '?' '[' ']' '\', space and control characters.
// The same rule exists in Lua (LUA_ESCAPE) because scripts derive keys from stored records.

const SPECIAL = /[%{}:*?[\]\\\x00-\x20\x7f]/g;

export function escapeKeyPart(part: string): string {
  return part.replace(SPECIAL, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

/** Escapes a literal for a SCAN MATCH pattern (glob syntax). */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, (c) => "\\" + c);
}

// Lua pattern class equivalent to SPECIAL: %c is iscntrl (0x00-0x1f, 0x7f), plus space.
export const LUA_ESCAPE = String.raw`
local function esc(s)
  return (string.gsub(s, '[%%{}:*?%[%]\\%c ]', function(c)
    return string.format('%%%02X', string.byte(c))
  end))
end`;
