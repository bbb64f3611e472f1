import { describe, it, expect } from "vitest";
import { ask, expectedError, hostWith } from "../host/testing.ts";
import { offline } from "./offline.ts";

describe("offline (XEP-0160)", () => {
  const host = hostWith(offline);

  it("advertises msgoffline and handles no IQ", async () => {
    expect(host.discoFeatures()).toEqual(["msgoffline"]);
    const iq = `<iq type="get" id="o1" from="romeo@example.com/orchard" to="example.com"><offline xmlns="http://jabber.org/protocol/offline"/></iq>`;
    expect(await ask(host, iq)).toBe(expectedError(iq, "service-unavailable"));
  });
});
