import { describe, expect, it } from "vitest";
import { AMP_NODE_FEATURES, ampNodeInfo, ampStreamFeature, isAmpNode } from "./disco.ts";
import { canonical } from "./test-helpers.ts";

const A = "http://jabber.org/protocol/amp";

describe("AMP discovery (DP-13, DP-14)", () => {
  it("the node lists one server/im identity, the root feature, 4 actions and 3 conditions", () => {
    const features = ["", "?action=alert", "?action=drop", "?action=error", "?action=notify", "?condition=deliver", "?condition=expire-at", "?condition=match-resource"];
    expect(ampNodeInfo().toString()).toBe(
      canonical(
        `<query xmlns="http://jabber.org/protocol/disco#info" node="${A}"><identity category="server" type="im"/>` +
          features.map((f) => `<feature var="${A}${f}"/>`).join("") +
          `</query>`,
      ),
    );
    expect(AMP_NODE_FEATURES).toHaveLength(8);
  });

  it("only the exact node string is the AMP node", () => {
    expect(isAmpNode(A)).toBe(true);
    for (const node of [undefined, "", `${A}?action=drop`, `${A}?condition=deliver`, `${A}/`, "http://jabber.org/protocol/AMP", "http://jabber.org/features/amp"]) {
      expect(isAmpNode(node)).toBe(false);
    }
  });

  it("the stream feature is the empty element in the features namespace", () => {
    expect(ampStreamFeature().toString()).toBe(`<amp xmlns="http://jabber.org/features/amp"/>`);
  });
});
