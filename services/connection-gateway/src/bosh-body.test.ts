import { describe, expect, it } from "vitest";
import { lowerVersion, responseBody, terminateBody } from "./bosh-body.ts";

describe("BOSH bodies (XEP-0124)", () => {
  it("answers with the lower of the client's and our version (§7.1)", () => {
    expect(lowerVersion("1.6")).toBe("1.6");
    expect(lowerVersion("1.20")).toBe("1.11");
    expect(lowerVersion("2.0")).toBe("1.11");
    expect(lowerVersion(undefined)).toBe("1.11");
    expect(lowerVersion("x")).toBe("1.11");
  });

  it("wraps payload and declares the stream prefix only when there is payload", () => {
    expect(responseBody([])).toBe("<body xmlns='http://jabber.org/protocol/httpbind'/>");
    expect(responseBody(["<a/>"], { sid: "s&'" })).toBe(
      "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams' sid='s&amp;&apos;'><a/></body>",
    );
    expect(terminateBody()).toBe("<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>");
    expect(terminateBody("item-not-found")).toBe("<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>");
  });
});
