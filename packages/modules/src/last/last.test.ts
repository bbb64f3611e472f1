import { describe, expect, it } from "vitest";
import { createModuleHost } from "../host/module-host.ts";
import { fakeAccountData } from "../host/fake-account-data.ts";
import { ask, canonical, expectedError } from "../host/testing.ts";
import { lastActivity } from "./last.ts";

const L = "jabber:iq:last";
const JULIET = { entity: "juliet@example.com", isServer: false, from: "romeo@example.com/orchard" };

async function host(opts: Parameters<typeof fakeAccountData>[0] = {}) {
  const data = fakeAccountData(opts);
  const h = createModuleHost({ domains: ["example.com"], capabilities: { accountData: data } });
  h.load(lastActivity);
  return { h, data };
}

describe("last activity (XEP-0012)", () => {
  it("answers the server's uptime in seconds", async () => {
    const { h } = await host({ startedAt: Date.now() - 90_500 });
    expect(await ask(h, `<iq type="get" id="l1" from="romeo@example.com/orchard" to="example.com"><query xmlns="${L}"/></iq>`))
      .toBe(canonical(`<iq type="result" id="l1" from="example.com" to="romeo@example.com/orchard"><query xmlns="${L}" seconds="90"/></iq>`));
  });

  it("tells a subscriber how long ago the account logged out, with its status, and 0 while it is online", async () => {
    const { h, data } = await host({ authorised: [["juliet@example.com", "romeo@example.com"]] });
    const q = (id: string) => `<iq type="get" id="${id}" from="romeo@example.com/orchard" to="juliet@example.com"><query xmlns="${L}"/></iq>`;
    expect(await ask(h, q("l2"), JULIET)).toBe(expectedError(q("l2"), "item-not-found"));
    await data.last.record("juliet@example.com", new Date(Date.now() - 903_200), "Heading Home");
    expect(await ask(h, q("l3"), JULIET)).toBe(canonical(`<iq type="result" id="l3" from="juliet@example.com" to="romeo@example.com/orchard"><query xmlns="${L}" seconds="903">Heading Home</query></iq>`));
    const online = await host({ authorised: [["juliet@example.com", "romeo@example.com"]], available: ["juliet@example.com"] });
    expect(await ask(online.h, q("l4"), JULIET)).toBe(canonical(`<iq type="result" id="l4" from="juliet@example.com" to="romeo@example.com/orchard"><query xmlns="${L}" seconds="0"/></iq>`));
  });

  it("is forbidden to someone not allowed to see the account's presence (§4)", async () => {
    const { h } = await host();
    const q = `<iq type="get" id="l5" from="romeo@example.com/orchard" to="juliet@example.com"><query xmlns="${L}"/></iq>`;
    expect(await ask(h, q, JULIET)).toBe(expectedError(q, "forbidden"));
  });
});
