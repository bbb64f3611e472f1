import { describe, expect, it } from "vitest";
import { prepareDomainpart } from "./domainpart.ts";

describe("prepareDomainpart", () => {
  it("lower-cases ASCII names", () => {
    expect(prepareDomainpart("EXAMPLE.Com")).toBe("example.com");
  });

  it("maps through UTS-46 to the Unicode form, nontransitionally", () => {
    expect(prepareDomainpart("ÄÖÜ.example")).toBe("äöü.example");
    expect(prepareDomainpart("xn--4ca0bs.example")).toBe("äöü.example");
    expect(prepareDomainpart("faß.de")).toBe("faß.de"); // transitional processing would give fass.de
    expect(prepareDomainpart("ＥＸＡＭＰＬＥ．com")).toBe("example.com");
  });

  it("keeps IP literals", () => {
    expect(prepareDomainpart("192.0.2.1")).toBe("192.0.2.1");
    expect(prepareDomainpart("[2001:DB8::1]")).toBe("[2001:db8::1]");
    expect(() => prepareDomainpart("[2001:db8::g]")).toThrow("domainpart is not a valid IPv6 literal");
    expect(() => prepareDomainpart("[::1")).toThrow("domainpart is not a valid IPv6 literal");
  });

  it("rejects names that are not valid IDNA", () => {
    for (const bad of ["-a.example", "a-.example", "ab--c.example", "a b.example", "a_b.example", "xn--a.example", "a\u0000b"]) {
      expect(() => prepareDomainpart(bad), bad).toThrow(/^domainpart /);
    }
  });

  it("checks label and total lengths", () => {
    const label63 = "a".repeat(63);
    expect(prepareDomainpart(`${label63}.example`)).toBe(`${label63}.example`);
    expect(() => prepareDomainpart(`${label63}b.example`)).toThrow(/^domainpart /);
    expect(() => prepareDomainpart(`ä${"a".repeat(62)}.example`)).toThrow("domainpart has a label of");
    const long = Array.from({ length: 16 }, () => label63).join(".");
    expect(prepareDomainpart(long)).toHaveLength(1023);
    expect(() => prepareDomainpart(`${long}a`)).toThrow(/^domainpart /);
    expect(() => prepareDomainpart(`a.${long}`)).toThrow("domainpart is 1025 bytes long (at most 1023)");
  });

  it("strips one trailing dot and rejects empty labels", () => {
    expect(prepareDomainpart("example.com.")).toBe("example.com");
    expect(() => prepareDomainpart(".")).toThrow("domainpart is empty");
    expect(() => prepareDomainpart("a..b")).toThrow("domainpart contains an empty label");
  });
});
