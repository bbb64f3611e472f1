// XEP-0079 §2.1.1 and §8 discovery as DP-13/DP-14 decide: the root feature, the
// 'http://jabber.org/protocol/amp' node listing every action and condition, the stream feature.
import { NS_AMP, NS_AMP_FEATURE, NS_DISCO_INFO } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import { ACTIONS, CONDITIONS } from "./types.ts";

/** The feature listed at the server's root disco#info and, first, at the AMP node. */
export const AMP_ROOT_FEATURE = NS_AMP;

/** DP-13: the root feature, then ?action= for all four actions and ?condition= for all three conditions. */
export const AMP_NODE_FEATURES: readonly string[] = [
  NS_AMP,
  ...ACTIONS.map((a) => `${NS_AMP}?action=${a}`),
  ...CONDITIONS.map((c) => `${NS_AMP}?condition=${c}`),
];

/** DP-13: only the exact node string is ours; '…amp?action=drop' and the like are item-not-found. */
export function isAmpNode(node: string | undefined): boolean {
  return node === NS_AMP;
}

/** The <query/> of the disco#info result for the AMP node (identity server/im per D10). */
export function ampNodeInfo(): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node: NS_AMP },
    xml("identity", { category: "server", type: "im" }),
    ...AMP_NODE_FEATURES.map((v) => xml("feature", { var: v })),
  );
}

/** DP-14, XEP-0079 §8: the empty stream feature, in the *features* namespace. */
export function ampStreamFeature(): Element {
  return xml("amp", { xmlns: NS_AMP_FEATURE });
}
