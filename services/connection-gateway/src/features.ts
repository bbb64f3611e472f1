// Stream features for the current stage of negotiation (RFC 6120 §4.3.2).
import { xml, type Element } from "@xmppd/xml";
import { NS_SM } from "@xmppd/stanza";
import { NS_AMP_FEATURE, NS_BIND, NS_ROSTER_VER, NS_SESSION, NS_TLS } from "@xmppd/stanza";
import { authFeatures } from "./auth-features.ts";
import type { Connection } from "./connection.ts";
import { NS_CSI } from "./csi.ts";
import { NS_CAPS, NS_PRE_APPROVAL } from "@xmppd/stanza";
import { smOffered } from "./sm-nonza.ts";

export function streamFeatures(conn: Connection): Element {
  const features = xml("stream:features");
  if (conn.user !== null) {
    features.append(xml("bind", { xmlns: NS_BIND }));
    // RFC 6121 Appendix E: session establishment is optional and a no-op.
    features.append(xml("session", { xmlns: NS_SESSION }, xml("optional")));
    // XEP-0079 §8 (DP-14): AMP is announced after authentication, in the *features* namespace.
    features.append(xml("amp", { xmlns: NS_AMP_FEATURE }));
    // XEP-0237 §3: the routers answer roster gets with versions.
    features.append(xml("ver", { xmlns: NS_ROSTER_VER }));
    // RFC 6121 §3.4.1: the routers keep subscription pre-approvals, so the server MUST say so.
    features.append(xml("sub", { xmlns: NS_PRE_APPROVAL }));
    // XEP-0352 §2: client state indication is offered after authentication.
    features.append(xml("csi", { xmlns: NS_CSI }));
    // XEP-0115 §6.3: the server's own capabilities, as its router computed them from its disco#info.
    const caps = conn.ctx.upstream.capsOf(conn.id);
    if (caps) features.append(xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: caps.node, ver: caps.ver }));
    // XEP-0198 §2: stream management, resumable on any gateway (docs/stream-management.md).
    if (smOffered(conn)) features.append(xml("sm", { xmlns: NS_SM }));
    return features;
  }
  const tls = conn.ctx.config.gateway.tls;
  if (conn.transport.canStartTls) features.append(xml("starttls", { xmlns: NS_TLS }, tls.required ? xml("required") : null));
  // RFC 6120 §5.3.1: while TLS is mandatory-to-negotiate, offer nothing else before it, so no
  // mechanism (PLAIN least of all) is ever offered on a plain stream unless TLS is optional.
  if (conn.secure || !tls.required) {
    features.append(...authFeatures(conn));
  }
  return features;
}
