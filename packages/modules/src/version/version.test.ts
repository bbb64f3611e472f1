import { describe, it, expect } from "vitest";
import { ask, canonical, expectedError, hostWith, ACCOUNT_CTX } from "../host/testing.ts";
import { serverVersion, version } from "./version.ts";

describe("version (XEP-0092)", () => {
  const host = hostWith(version);

  it("answers with name and version, without os", async () => {
    const iq = `<iq type="get" id="v1" from="romeo@example.com/orchard" to="example.com"><query xmlns="jabber:iq:version"/></iq>`;
    expect(await ask(host, iq)).toBe(
      canonical(
        `<iq type="result" id="v1" from="example.com" to="romeo@example.com/orchard"><query xmlns="jabber:iq:version"><name>xmppd</name><version>${serverVersion()}</version></query></iq>`,
      ),
    );
  });

  it("reads the version from the root package.json", () => {
    expect(serverVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("declines on an account's behalf", async () => {
    const iq = `<iq type="get" id="v2" from="romeo@example.com/orchard" to="romeo@example.com"><query xmlns="jabber:iq:version"/></iq>`;
    expect(await ask(host, iq, ACCOUNT_CTX)).toBe(expectedError(iq, "service-unavailable"));
  });
});
