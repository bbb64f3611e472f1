import { describe, expect, it } from "vitest";
import { createModuleHost } from "../host/module-host.ts";
import { fakeAccountData } from "../host/fake-account-data.ts";
import { ACCOUNT_CTX, ask, canonical, expectedError } from "../host/testing.ts";
import { vcard } from "./vcard.ts";

const V = "vcard-temp";

function host() {
  const h = createModuleHost({ domains: ["example.com"], capabilities: { accountData: fakeAccountData() } });
  h.load(vcard);
  return h;
}

describe("vcard (XEP-0054)", () => {
  it("returns an empty vCard, stores the account's own, and shows it to anyone", async () => {
    const h = host();
    expect(await ask(h, `<iq type="get" id="v1" from="romeo@example.com/orchard"><vCard xmlns="${V}"/></iq>`, ACCOUNT_CTX))
      .toBe(canonical(`<iq type="result" id="v1" to="romeo@example.com/orchard"><vCard xmlns="${V}"/></iq>`));
    const set = `<iq type="set" id="v2" from="romeo@example.com/orchard"><vCard xmlns="${V}"><FN>Romeo Montague</FN><NICKNAME>romeo</NICKNAME></vCard></iq>`;
    expect(await ask(h, set, ACCOUNT_CTX)).toBe(canonical(`<iq type="result" id="v2" to="romeo@example.com/orchard"/>`));
    const get = `<iq type="get" id="v3" from="juliet@example.com/balcony" to="romeo@example.com"><vCard xmlns="${V}"/></iq>`;
    expect(await ask(h, get, { entity: "romeo@example.com", isServer: false, from: "juliet@example.com/balcony" })).toBe(canonical(
      `<iq type="result" id="v3" from="romeo@example.com" to="juliet@example.com/balcony"><vCard xmlns="${V}"><FN>Romeo Montague</FN><NICKNAME>romeo</NICKNAME></vCard></iq>`));
  });

  it("lets nobody else change it, and declines at the server", async () => {
    const h = host();
    const set = `<iq type="set" id="v4" from="juliet@example.com/balcony" to="romeo@example.com"><vCard xmlns="${V}"><FN>x</FN></vCard></iq>`;
    expect(await ask(h, set, { entity: "romeo@example.com", isServer: false, from: "juliet@example.com/balcony" })).toBe(expectedError(set, "forbidden"));
    const server = `<iq type="get" id="v5" from="romeo@example.com/orchard" to="example.com"><vCard xmlns="${V}"/></iq>`;
    expect(await ask(h, server)).toBe(expectedError(server, "service-unavailable"));
  });
});
