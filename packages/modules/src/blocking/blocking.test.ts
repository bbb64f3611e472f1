import { describe, expect, it } from "vitest";
import { createModuleHost } from "../host/module-host.ts";
import { ACCOUNT_CTX, ask, canonical, expectedError } from "../host/testing.ts";
import { fakeBlockStore } from "../host/fake-account-data.ts";
import { blocking, type BlockChange } from "./blocking.ts";

const B = "urn:xmpp:blocking";
const iq = (type: string, payload: string, id = "b1") => `<iq type="${type}" id="${id}" from="romeo@example.com/orchard">${payload}</iq>`;

function setup() {
  const store = fakeBlockStore();
  const changes: BlockChange[] = [];
  const requested: string[] = [];
  const host = createModuleHost({
    domains: ["example.com"],
    capabilities: { blocking: { store, requested: async (j) => void requested.push(j), changed: async (c) => void changes.push(c) } },
  });
  host.load(blocking);
  return { host, store, changes, requested };
}

describe("blocking (XEP-0191)", () => {
  it("returns the list and marks the resource as interested (§5.2)", async () => {
    const { host, store, requested } = setup();
    expect(await ask(host, iq("get", `<blocklist xmlns="${B}"/>`), ACCOUNT_CTX)).toBe(canonical(`<iq type="result" id="b1" to="romeo@example.com/orchard"><blocklist xmlns="${B}"/></iq>`));
    await store.block("romeo@example.com", ["iago@example.com", "example.net"]);
    expect(await ask(host, iq("get", `<blocklist xmlns="${B}"/>`), ACCOUNT_CTX)).toBe(
      canonical(`<iq type="result" id="b1" to="romeo@example.com/orchard"><blocklist xmlns="${B}"><item jid="example.net"/><item jid="iago@example.com"/></blocklist></iq>`));
    expect(requested).toEqual(["romeo@example.com/orchard", "romeo@example.com/orchard"]);
  });

  it("blocks prepared JIDs and hands the router the change and its push (§5.3)", async () => {
    const { host, store, changes } = setup();
    expect(await ask(host, iq("set", `<block xmlns="${B}"><item jid="Iago@Example.com"/><item jid="example.net/bot"/></block>`), ACCOUNT_CTX)).toBe(canonical(`<iq type="result" id="b1" to="romeo@example.com/orchard"/>`));
    expect(store.lists.get("romeo@example.com")).toEqual(["iago@example.com", "example.net/bot"]);
    expect(changes.map((c) => ({ ...c, push: canonical(c.push) }))).toEqual([{
      owner: "romeo@example.com", blocked: ["iago@example.com", "example.net/bot"], unblocked: [],
      push: canonical(`<block xmlns="${B}"><item jid="iago@example.com"/><item jid="example.net/bot"/></block>`),
    }]);
  });

  it("unblocks some, or all with an empty unblock (§5.4, §5.5)", async () => {
    const { host, store, changes } = setup();
    await store.block("romeo@example.com", ["a@example.com", "b@example.com"]);
    await ask(host, iq("set", `<unblock xmlns="${B}"><item jid="a@example.com"/></unblock>`), ACCOUNT_CTX);
    await ask(host, iq("set", `<unblock xmlns="${B}"/>`, "b2"), ACCOUNT_CTX);
    expect(changes.map((c) => [c.unblocked, canonical(c.push)])).toEqual([
      [["a@example.com"], canonical(`<unblock xmlns="${B}"><item jid="a@example.com"/></unblock>`)],
      [["b@example.com"], canonical(`<unblock xmlns="${B}"/>`)],
    ]);
    expect(store.lists.get("romeo@example.com")).toEqual([]);
  });

  it("answers bad-request, jid-malformed, forbidden and service-unavailable where due", async () => {
    const { host } = setup();
    const empty = iq("set", `<block xmlns="${B}"/>`);
    expect(await ask(host, empty, ACCOUNT_CTX)).toBe(expectedError(empty, "bad-request"));
    const bad = iq("set", `<block xmlns="${B}"><item jid="a@b@c"/></block>`);
    expect(await ask(host, bad, ACCOUNT_CTX)).toBe(expectedError(bad, "jid-malformed"));
    const other = iq("get", `<blocklist xmlns="${B}"/>`);
    expect(await ask(host, other, { ...ACCOUNT_CTX, entity: "juliet@example.com" })).toBe(expectedError(other, "forbidden"));
    const server = `<iq type="get" id="s" from="romeo@example.com/orchard" to="example.com"><blocklist xmlns="${B}"/></iq>`;
    expect(await ask(host, server)).toBe(expectedError(server, "service-unavailable"));
  });
});
