// Negative acknowledgements to gateways: when a connection's envelopes arrive past a gap (NATS
// lost some) or for a connection this router does not know, it runs none of them and asks the
// gateway to send again from the first one missing. Rate-limited per connection: one request
// brings the gateway's whole unacknowledged window, so asking again at once would only double it.
import { encode, type Bus, type Subjects, type ToGateway } from "@xmppd/bus";
import type { ConnState } from "./connections.ts";

export interface ResendRequests {
  /** Asks `gw` to resend conn's envelopes from seq `from`, unless asked within the interval. */
  ask(gw: string, conn: string, from: number, state?: ConnState): boolean;
}

/** Unknown connections remembered for rate limiting; beyond this the oldest are forgotten. */
const MAX_UNKNOWN = 10_000;

export function createResendRequests(bus: Bus, s: Subjects, everyMs = 200, now: () => number = Date.now): ResendRequests {
  // Connections without a state here (no "open" seen): keyed gw + conn.
  const unknown = new Map<string, number>();
  return {
    ask(gw, conn, from, state) {
      const at = now();
      const key = `${gw}\u0000${conn}`;
      const last = state ? state.resendAskedAt : unknown.get(key);
      if (last !== undefined && at - last < everyMs) return false;
      if (state) state.resendAskedAt = at;
      else {
        unknown.delete(key);
        unknown.set(key, at);
        if (unknown.size > MAX_UNKNOWN) unknown.delete(unknown.keys().next().value!);
      }
      const msg: ToGateway = { t: "resend", conn, from };
      bus.publish(s.gatewayInbox(gw), encode(msg));
      return true;
    },
  };
}
