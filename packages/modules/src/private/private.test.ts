import { describe, expect, it } from "vitest";
import { createModuleHost } from "../host/module-host.ts";
import { fakeAccountData } from "../host/fake-account-data.ts";
import { ACCOUNT_CTX, ask, canonical, expectedError } from "../host/testing.ts";
import { privateStorage } from "./private.ts";

const P = "jabber:iq:private";
const iq = (type: string, inner: string, id = "p1") => `<iq type="${type}" id="${id}" from="romeo@example.com/orchard"><query xmlns="${P}">${inner}</query></iq>`;

function host() {
  const h = createModuleHost({ domains: ["example.com"], capabilities: { accountData: fakeAccountData() } });
  h.load(privateStorage);
  return h;
}

describe("private XML storage (XEP-0049)", () => {
  it("answers the empty element when nothing is stored, then what was stored", async () => {
    const h = host();
    expect(await ask(h, iq("get", `<prefs xmlns="urn:example:prefs"/>`), ACCOUNT_CTX)).toBe(
      canonical(`<iq type="result" id="p1" to="romeo@example.com/orchard"><query xmlns="${P}"><prefs xmlns="urn:example:prefs"/></query></iq>`));
    expect(await ask(h, iq("set", `<prefs xmlns="urn:example:prefs"><theme>dark</theme></prefs>`, "p2"), ACCOUNT_CTX)).toBe(
      canonical(`<iq type="result" id="p2" to="romeo@example.com/orchard"/>`));
    expect(await ask(h, iq("get", `<prefs xmlns="urn:example:prefs"/>`, "p3"), ACCOUNT_CTX)).toBe(
      canonical(`<iq type="result" id="p3" to="romeo@example.com/orchard"><query xmlns="${P}"><prefs xmlns="urn:example:prefs"><theme>dark</theme></prefs></query></iq>`));
  });

  it("refuses other accounts, reserved and missing namespaces", async () => {
    const h = host();
    const other = iq("get", `<prefs xmlns="urn:example:prefs"/>`);
    expect(await ask(h, other, { ...ACCOUNT_CTX, entity: "juliet@example.com" })).toBe(expectedError(other, "forbidden"));
    const reserved = iq("set", `<query xmlns="jabber:iq:roster"/>`);
    expect(await ask(h, reserved, ACCOUNT_CTX)).toBe(expectedError(reserved, "not-acceptable"));
    const bare = iq("set", `<prefs/>`);
    expect(await ask(h, bare, ACCOUNT_CTX)).toBe(expectedError(bare, "bad-request"));
    const empty = iq("get", "");
    expect(await ask(h, empty, ACCOUNT_CTX)).toBe(expectedError(empty, "bad-request"));
  });
});
