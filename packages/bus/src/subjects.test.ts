import { describe, expect, it } from "vitest";
import { gatewayId, gatewayName, subjects } from "./subjects.ts";

describe("gateway subjects", () => {
  const s = subjects("xmpp");
  const id = gatewayId("gw-a", "0123456789ab");

  it("puts the gateway's name and id in its subjects, so permissions can name the gateway", () => {
    expect(id).toBe("gw-a-0123456789ab");
    expect(gatewayName(id)).toBe("gw-a");
    expect(s.toRouter("r1", id)).toBe("xmpp.v1.router.r1.gw-a.gw-a-0123456789ab");
    expect(s.gatewayInbox(id)).toBe("xmpp.v1.gateway.gw-a.gw-a-0123456789ab");
    expect(s.gatewayHeartbeat(id)).toBe("xmpp.v1.heartbeat.gateway.gw-a.gw-a-0123456789ab");
  });

  it("reads the sender back only when the id belongs to the name its subject carries", () => {
    expect(s.senderOf(s.toRouter("r1", id))).toBe(id);
    expect(s.heartbeatSender(s.gatewayHeartbeat(id))).toBe(id);
    // gw-b may publish only under its own name: an id of gw-a under it is not believed.
    expect(s.senderOf("xmpp.v1.router.r1.gw-b.gw-a-0123456789ab")).toBeNull();
    expect(s.senderOf("xmpp.v1.router.r1.gw-b.gw-b-0123456789ab.x")).toBeNull();
    expect(s.heartbeatSender("xmpp.v1.heartbeat.gateway.gw-b.gw-a-0123456789ab")).toBeNull();
    expect(s.senderOf("other.v1.router.r1.gw-a.gw-a-0123456789ab")).toBeNull();
  });

  it("treats an id without a process suffix as its own name", () => {
    expect(gatewayName("gw1")).toBe("gw1");
    expect(s.senderOf(s.toRouter("r1", "gw1"))).toBe("gw1");
  });
});
