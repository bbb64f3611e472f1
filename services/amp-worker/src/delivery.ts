// Hand stanzas to the gateway that owns a connection (bus envelope ToGateway "deliver").
import { encode } from "@xmppd/bus";
import type { ToGateway } from "@xmppd/bus";
import type { SessionRecord } from "@xmppd/storage";
import type { WorkContext } from "./context.ts";

export type Target = Pick<SessionRecord, "gateway" | "conn">;

export function deliverTo(ctx: WorkContext, target: Target, xml: string): void {
  const envelope: ToGateway = { t: "deliver", conn: target.conn, xml };
  ctx.bus.publish(ctx.subjects.gatewayInbox(target.gateway), encode(envelope));
}

/** The session bound to exactly this full JID, if it is still there. */
export async function findSession(ctx: WorkContext, bareJid: string, fullJid: string): Promise<SessionRecord | undefined> {
  const sessions = await ctx.sessions.get(bareJid);
  return sessions.find((s) => s.jid === fullJid);
}
