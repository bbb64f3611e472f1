import { describe, expect, it } from "vitest";
import { isBlocked, matchForms } from "./matching.ts";

describe("XEP-0191 §4 JID matching", () => {
  it("lists the forms of a full, bare, domain and domain/resource JID", () => {
    expect(matchForms("romeo@montague.net/orchard")).toEqual(["romeo@montague.net/orchard", "romeo@montague.net", "montague.net/orchard", "montague.net"]);
    expect(matchForms("romeo@montague.net")).toEqual(["romeo@montague.net", "montague.net"]);
    expect(matchForms("montague.net/bot")).toEqual(["montague.net/bot", "montague.net"]);
    expect(matchForms("montague.net")).toEqual(["montague.net"]);
  });

  it("blocks a full JID's resource only, a bare JID's every resource, and a whole domain", () => {
    expect(isBlocked(["romeo@montague.net/orchard"], "romeo@montague.net/orchard")).toBe(true);
    expect(isBlocked(["romeo@montague.net/orchard"], "romeo@montague.net/balcony")).toBe(false);
    expect(isBlocked(["romeo@montague.net/orchard"], "romeo@montague.net")).toBe(false);
    expect(isBlocked(["romeo@montague.net"], "romeo@montague.net/balcony")).toBe(true);
    expect(isBlocked(["montague.net/orchard"], "romeo@montague.net/orchard")).toBe(true);
    expect(isBlocked(["montague.net/orchard"], "romeo@montague.net/balcony")).toBe(false);
    expect(isBlocked(["montague.net"], "tybalt@montague.net/x")).toBe(true);
    expect(isBlocked(["montague.net"], "romeo@capulet.com")).toBe(false);
    expect(isBlocked([], "romeo@montague.net")).toBe(false);
    expect(isBlocked(null, "romeo@montague.net")).toBe(false);
  });
});
