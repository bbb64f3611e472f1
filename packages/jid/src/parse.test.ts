import { describe, expect, it } from "vitest";
import { JidError } from "./errors.ts";
import { parseJid, tryParseJid } from "./parse.ts";

describe("parseJid: RFC 7622 §3.5 examples", () => {
  it.each([
    ["juliet@example.com", "juliet@example.com"],
    ["juliet@example.com/foo", "juliet@example.com/foo"],
    ["juliet@example.com/foo bar", "juliet@example.com/foo bar"],
    ["juliet@example.com/foo@bar", "juliet@example.com/foo@bar"],
    ["foo\\20bar@example.com", "foo\\20bar@example.com"],
    ["fussball@example.com", "fussball@example.com"],
    ["fußball@example.com", "fußball@example.com"],
    ["π@example.com", "π@example.com"],
    ["Σ@example.com/foo", "σ@example.com/foo"],
    ["σ@example.com/foo", "σ@example.com/foo"],
    ["ς@example.com/foo", "ς@example.com/foo"],
    ["king@example.com/♚", "king@example.com/♚"],
    ["example.com", "example.com"],
    ["example.com/foobar", "example.com/foobar"],
    ["a.example.com/b@example.net", "a.example.com/b@example.net"],
  ])("accepts %s", (input, canonical) => {
    expect(parseJid(input).toString()).toBe(canonical);
  });

  it.each([
    ['"juliet"@example.com', "localpart contains a disallowed character U+0022"],
    ["foo bar@example.com", "localpart contains a disallowed character U+0020"],
    ["juliet@example.com/", "resourcepart is empty"],
    ["@example.com/", "localpart is empty"],
    ["henryⅣ@example.com", "localpart contains a disallowed character U+2163"],
    ["♚@example.com", "localpart contains a disallowed character U+265A"],
    ["juliet@", "domainpart is empty"],
    ["/foobar", "domainpart is empty"],
  ])("rejects %s", (input, message) => {
    expect(() => parseJid(input)).toThrow(message);
    expect(tryParseJid(input)).toBeNull();
  });
});

describe("parseJid: splitting (RFC 7622 §3.1)", () => {
  it("splits the resource at the first slash, then the localpart at the first '@'", () => {
    const jid = parseJid("a@b.example/c@d/e");
    expect([jid.local, jid.domain, jid.resource]).toEqual(["a", "b.example", "c@d/e"]);
  });

  it("has no localpart when the '@' comes only after the first slash", () => {
    const jid = parseJid("b.example/c@d");
    expect([jid.local, jid.domain, jid.resource]).toEqual(["", "b.example", "c@d"]);
  });

  it("treats a second '@' as part of the domainpart, which then fails", () => {
    expect(() => parseJid("a@b@example.com")).toThrow(/^domainpart/);
  });

  it("throws JidError carrying the part", () => {
    try {
      parseJid("x@example.com/");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(JidError);
      expect((err as JidError).part).toBe("resourcepart");
      expect((err as JidError).name).toBe("JidError");
    }
  });

  it("rejects a localpart that becomes '@' after width mapping", () => {
    expect(() => parseJid("a＠b@example.com")).toThrow("localpart contains a disallowed character U+0040");
  });

  it("rejects a value that is not a string", () => {
    expect(() => parseJid(undefined as unknown as string)).toThrow("jid is not a string");
    expect(tryParseJid(42 as unknown as string)).toBeNull();
  });
});

describe("parseJid: canonical forms", () => {
  it("case-folds localpart and domainpart but keeps the resource's case", () => {
    const jid = parseJid("JuLiEt@EXAMPLE.Com/BalCony");
    expect(jid.toString()).toBe("juliet@example.com/BalCony");
    expect(jid.equals(parseJid("juliet@example.com/BalCony"))).toBe(true);
    expect(jid.equals(parseJid("juliet@example.com/balcony"))).toBe(false);
  });

  it("maps fullwidth localparts to their ASCII form", () => {
    expect(parseJid("ＪＵＬＩＥＴ@example.com").local).toBe("juliet");
  });

  it("compares an IDN domain equal to its A-label form", () => {
    const unicode = parseJid("user@ÄÖÜ.example");
    const ascii = parseJid("user@xn--4ca0bs.example");
    expect(unicode.domain).toBe("äöü.example");
    expect(unicode.equals(ascii)).toBe(true);
  });

  it("strips one trailing dot of the domainpart", () => {
    expect(parseJid("juliet@example.com./r").toString()).toBe("juliet@example.com/r");
    expect(() => parseJid("juliet@example.com..")).toThrow("domainpart contains an empty label");
  });

  it("accepts 1023-byte parts and rejects 1024", () => {
    const ok = "a".repeat(1023);
    expect(parseJid(`${ok}@example.com/${ok}`).resource).toHaveLength(1023);
    expect(() => parseJid(`${ok}a@example.com`)).toThrow("localpart is 1024 bytes long (at most 1023)");
    expect(() => parseJid(`example.com/${"é".repeat(512)}`)).toThrow("resourcepart is 1024 bytes");
  });

  it("bounds an ASCII resourcepart too (the fast path once skipped the count)", () => {
    expect(() => parseJid(`a@example.com/${"r".repeat(1024)}`)).toThrow("resourcepart is 1024 bytes long (at most 1023)");
    expect(() => parseJid(`a@example.com/${"r ".repeat(1536)}`)).toThrow("resourcepart is 3072 bytes long (at most 1023)");
  });

  it("allows a whole JID of 3071 bytes, the three parts at their limits, and no more", () => {
    const label = "d".repeat(63);
    const domain = Array.from({ length: 16 }, () => label).join("."); // 1023 bytes
    const jid = parseJid(`${"l".repeat(1023)}@${domain}/${"r".repeat(1023)}`);
    expect(Buffer.byteLength(jid.toString())).toBe(3071);
    expect(() => parseJid(`${"l".repeat(1023)}@${domain}/${"r".repeat(1024)}`)).toThrow(/^resourcepart /);
  });

  it("refuses inputs no preparation can bring under the limit before preparing them", () => {
    expect(() => parseJid(`a@example.com/${"\u00e9".repeat(9000)}`)).toThrow("resourcepart is 9000 characters long (at most 1023 bytes)");
    expect(() => parseJid(`${"\u00c9".repeat(9000)}@example.com`)).toThrow("localpart is 9000 characters long");
    expect(() => parseJid(`${"a\u00ad".repeat(4100)}.example`)).toThrow("domainpart is 8208 characters long");
  });

  it("keeps a 1023-byte resource that only NFC brings under the limit", () => {
    const decomposed = "e\u0301".repeat(511) + "a"; // 3 bytes each, 1534 bytes in; 2 each out
    expect(Buffer.byteLength(parseJid(`a@example.com/${decomposed}`).resource)).toBe(1023);
  });
});
