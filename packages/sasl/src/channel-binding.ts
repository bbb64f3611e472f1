// Channel binding negotiation for SCRAM (RFC 5802 §6, §7) and the cbind-input every client-final
// message must carry. The connection's binding data comes from whoever terminates TLS (the
// gateway: tls-exporter per RFC 9266, tls-server-end-point per RFC 5929 §4); this file only
// decides what the client had to send.
import type { ClientFirst } from "./scram-messages.ts";
import { StepFailure, type ChannelBinding } from "./types.ts";

/**
 * Checks the gs2-cbind-flag against the mechanism and the connection and returns the cbind-input
 * the client-final message must carry in c=: the gs2-header, followed by the binding data when
 * the client binds (flag "p"). `offered` are the bindings of this connection, present only
 * when the server advertised the -PLUS mechanisms on it.
 */
export function expectedCbindInput(first: ClientFirst, isPlus: boolean, offered: readonly ChannelBinding[] = []): Buffer {
  const header = Buffer.from(first.gs2Header);
  if (first.cbindFlag === "p") {
    // RFC 5802 §6: "p" belongs to the -PLUS mechanisms; under a plain one it is an error.
    if (!isPlus) throw new StepFailure("malformed-request", "gs2 flag p without a -PLUS mechanism");
    // A type we did not offer on this connection (tls-unique, or tls-exporter below TLS 1.3).
    const binding = offered.find((b) => b.type === first.cbName);
    if (!binding) throw new StepFailure("malformed-request", `unsupported channel binding type ${first.cbName}`);
    return Buffer.concat([header, binding.data]);
  }
  // A -PLUS mechanism exists to bind: "n" or "y" under it is a contradiction.
  if (isPlus) throw new StepFailure("malformed-request", "a -PLUS mechanism without gs2 flag p");
  // "y": the client could bind but believes we cannot. We advertised -PLUS on this connection,
  // so someone removed it from the features on the way: a downgrade (RFC 5802 §6).
  if (first.cbindFlag === "y" && offered.length > 0) throw new StepFailure("not-authorized", "channel binding downgrade");
  return header;
}
