import { describe, expect, it } from "vitest";
import { disco } from "../disco/disco.ts";
import { ask, canonical, expectedError, hostWith } from "../host/testing.ts";
import { amp } from "./module.ts";

const AMP = "http://jabber.org/protocol/amp";
const info = (node?: string) =>
  `<iq type="get" id="a1" from="romeo@example.com/orchard" to="example.com"><query xmlns="http://jabber.org/protocol/disco#info"${node === undefined ? "" : ` node="${node}"`}/></iq>`;

describe("amp module: discovery (XEP-0079 §2.1.1, DP-13)", () => {
  const host = hostWith(disco, amp);

  it("lists the AMP feature at the server's root", async () => {
    expect(await ask(host, info())).toContain(`<feature var="${AMP}"></feature>`);
  });

  it("answers the AMP node with the server/im identity, the root feature, every action and every condition", async () => {
    const features = [AMP, ...["alert", "drop", "error", "notify"].map((a) => `${AMP}?action=${a}`), ...["deliver", "expire-at", "match-resource"].map((c) => `${AMP}?condition=${c}`)];
    expect(await ask(host, info(AMP))).toBe(
      canonical(
        `<iq type="result" id="a1" from="example.com" to="romeo@example.com/orchard"><query xmlns="http://jabber.org/protocol/disco#info" node="${AMP}">` +
          `<identity category="server" type="im"/>${features.map((f) => `<feature var="${f}"/>`).join("")}</query></iq>`,
      ),
    );
  });

  it("answers item-not-found for any other node, including the feature strings", async () => {
    for (const node of [`${AMP}?action=drop`, `${AMP}#errors`, "x"]) expect(await ask(host, info(node))).toBe(expectedError(info(node), "item-not-found"));
  });

  it("has no AMP node once unloaded", async () => {
    const h = hostWith(disco, amp);
    h.unload("amp");
    expect(await ask(h, info(AMP))).toBe(expectedError(info(AMP), "item-not-found"));
    expect(await ask(h, info())).not.toContain(AMP);
  });
});
