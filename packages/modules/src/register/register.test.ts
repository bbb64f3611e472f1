import { describe, expect, it } from "vitest";
import { parseElement } from "@xmppd/xml";
import { createModuleHost } from "../host/module-host.ts";
import { ACCOUNT_CTX, SERVER_CTX, ask, canonical } from "../host/testing.ts";
import { accountFor, parseRegisterQuery } from "./form.ts";
import { register, type RegistrationCapability } from "./register.ts";

const R = "jabber:iq:register";
const S = "urn:ietf:params:xml:ns:xmpp-stanzas";
const iq = (type: string, payload: string) => `<iq type="${type}" id="r1" from="romeo@example.com/orchard">${payload}</iq>`;
const error = (type: string, condition: string, text: string) =>
  canonical(`<iq type="error" id="r1" to="romeo@example.com/orchard"><error type="${type}"><${condition} xmlns="${S}"/><text xmlns="${S}">${text}</text></error></iq>`);

function setup(cap?: RegistrationCapability) {
  const host = createModuleHost({ domains: ["example.com"], capabilities: cap ? { registration: cap } : {} });
  host.load(register);
  return host;
}

function recording() {
  const calls: string[] = [];
  const cap: RegistrationCapability = {
    changePassword: async (bare, password) => (calls.push(`change ${bare} ${password}`), password === "\uFFFC" ? "not-acceptable" : "changed"),
    remove: async (bare) => void calls.push(`remove ${bare}`),
  };
  return { calls, cap };
}

describe("register (XEP-0077) after authentication", () => {
  it("tells an account it is registered (§3.1 example 3)", async () => {
    const host = setup(recording().cap);
    expect(await ask(host, iq("get", `<query xmlns="${R}"/>`), ACCOUNT_CTX)).toBe(
      canonical(`<iq type="result" id="r1" to="romeo@example.com/orchard"><query xmlns="${R}"><registered/><username>romeo</username></query></iq>`));
  });

  it("changes the password of the account itself (§3.3), also when the username differs only in case", async () => {
    const { calls, cap } = recording();
    const host = setup(cap);
    const change = iq("set", `<query xmlns="${R}"><username>Romeo</username><password>new-pw</password></query>`);
    expect(await ask(host, change, SERVER_CTX)).toBe(canonical(`<iq type="result" id="r1" to="romeo@example.com/orchard"/>`));
    expect(calls).toEqual(["change romeo@example.com new-pw"]);
  });

  it("refuses to change another account's password, and answers not-acceptable for a missing or unusable one", async () => {
    const { calls, cap } = recording();
    const host = setup(cap);
    expect(await ask(host, iq("set", `<query xmlns="${R}"><username>juliet</username><password>x</password></query>`))).toBe(
      error("cancel", "not-allowed", "You can change only your own password"));
    expect(await ask(host, iq("set", `<query xmlns="${R}"><username>romeo</username></query>`))).toBe(error("modify", "not-acceptable", "password is required"));
    expect(await ask(host, iq("set", `<query xmlns="${R}"><username>romeo</username><password>\uFFFC</password></query>`))).toBe(
      error("modify", "not-acceptable", "The password cannot be used"));
    expect(calls).toEqual(["change romeo@example.com \uFFFC"]);
  });

  it("cancels the registration (§3.2)", async () => {
    const { calls, cap } = recording();
    expect(await ask(setup(cap), iq("set", `<query xmlns="${R}"><remove/></query>`), ACCOUNT_CTX)).toBe(canonical(`<iq type="result" id="r1" to="romeo@example.com/orchard"/>`));
    expect(calls).toEqual(["remove romeo@example.com"]);
  });

  it("answers not-allowed to everything when registration is disabled", async () => {
    const host = setup();
    expect(await ask(host, iq("set", `<query xmlns="${R}"><remove/></query>`))).toBe(error("cancel", "not-allowed", "In-band registration is disabled"));
    expect(await ask(host, iq("get", `<query xmlns="${R}"/>`))).toBe(error("cancel", "not-allowed", "In-band registration is disabled"));
  });
});

describe("registration forms", () => {
  it.each([
    ["<username>juliet</username><password>pw</password>", { kind: "set", username: "juliet", password: "pw" }],
    ["<remove/>", { kind: "remove" }],
    ["<password>pw</password>", { kind: "invalid", text: "username is required" }],
    ["<username>juliet</username><password/>", { kind: "invalid", text: "password is required" }],
  ])("reads %s", (payload, expected) => {
    expect(parseRegisterQuery(parseElement(iq("set", `<query xmlns="${R}">${payload}</query>`)))).toEqual(expected);
  });

  it.each([
    ["Juliet", "juliet"],
    ["juliet@evil.example", null],
    ["a/b", null],
    ["", null],
    ["ju liet", null], // PRECIS IdentifierClass refuses spaces (RFC 8265 §3.3)
    ["x".repeat(1024), null], // RFC 7622 §3.3.1: at most 1023 octets
  ])("prepares the username %j as a localpart", (username, local) => {
    expect(accountFor(username, "example.com")?.local ?? null).toBe(local);
  });
});
