import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { parseJid } from "@xmppd/jid";
import type { SessionRecord } from "@xmppd/storage";
import { decide, type Decision } from "./decide.ts";

const BARE = "juliet@example.com";
const bare = parseJid(BARE);
const full = (r: string) => parseJid(`${BARE}/${r}`);

function session(resource: string, available: boolean, priority: number): SessionRecord {
  return { jid: `${BARE}/${resource}`, gateway: "gw1", conn: `c-${resource}`, available, priority, boundAt: 1 };
}

const targets = (d: Decision) => (d.action === "deliver" ? d.targets.map((s) => s.jid.split("/")[1]).sort() : d);

const sessionsArb = fc
  .uniqueArray(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 5 })
  .chain((names) =>
    fc.tuple(...names.map((n) => fc.record({ available: fc.boolean(), priority: fc.integer({ min: -128, max: 127 }) }).map((p) => session(n, p.available, p.priority)))),
  );
const messageTypes = fc.constantFrom("chat", "normal", "headline", "groupchat", "error", "", "bogus");
const anyKind = fc.constantFrom("message" as const, "presence" as const, "iq" as const);
const anyType = fc.constantFrom("", "chat", "normal", "headline", "groupchat", "error", "get", "set", "result", "unavailable", "subscribe", "probe");

describe("decide: bare JID messages (RFC 6121 §8.5.2)", () => {
  it("chat and normal go to the available resources with the highest non-negative priority", () => {
    const s = [session("a", true, 1), session("b", true, 5), session("c", true, 5), session("d", false, 9), session("e", true, -1)];
    expect(targets(decide("message", "chat", bare, s))).toEqual(["b", "c"]);
    expect(targets(decide("message", "", bare, s))).toEqual(["b", "c"]);
    expect(targets(decide("message", "bogus", bare, s))).toEqual(["b", "c"]);
  });

  it("headline goes to every non-negative available resource", () => {
    const s = [session("a", true, 0), session("b", true, 5), session("e", true, -1)];
    expect(targets(decide("message", "headline", bare, s))).toEqual(["a", "b"]);
  });

  it("only negative or unavailable resources: chat/normal offline, headline/error ignored, groupchat error", () => {
    for (const s of [[], [session("a", true, -1)], [session("a", false, 3)]]) {
      expect(decide("message", "chat", bare, s)).toEqual({ action: "offline" });
      expect(decide("message", "normal", bare, s)).toEqual({ action: "offline" });
      expect(decide("message", "headline", bare, s)).toEqual({ action: "ignore" });
      expect(decide("message", "error", bare, s)).toEqual({ action: "ignore" });
      expect(decide("message", "groupchat", bare, s)).toEqual({ action: "error", condition: "service-unavailable" });
    }
  });

  it("groupchat is refused even with available resources", () => {
    expect(decide("message", "groupchat", bare, [session("a", true, 1)])).toEqual({ action: "error", condition: "service-unavailable" });
  });
});

describe("decide: bare JID presence and IQ", () => {
  it("presence goes to all available resources, negative ones included", () => {
    const s = [session("a", true, -5), session("b", true, 2), session("c", false, 0)];
    expect(targets(decide("presence", "", bare, s))).toEqual(["a", "b"]);
    expect(targets(decide("presence", "unavailable", bare, s))).toEqual(["a", "b"]);
    expect(decide("presence", "", bare, [])).toEqual({ action: "ignore" });
  });

  it("subscription presence and probes are ignored for now", () => {
    for (const t of ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe"]) {
      expect(decide("presence", t, bare, [session("a", true, 1)])).toEqual({ action: "ignore" });
    }
  });

  it("an IQ to a bare JID is answered by the server", () => {
    expect(decide("iq", "get", bare, [session("a", true, 1)])).toEqual({ action: "server" });
    expect(decide("iq", "set", bare, [])).toEqual({ action: "server" });
  });
});

describe("decide: full JID (RFC 6121 §8.5.3)", () => {
  const s = [session("a", false, 0), session("b", true, 3), session("c", true, -2)];

  it("a connected resource gets messages, IQs and presence, even unavailable or negative", () => {
    expect(targets(decide("message", "normal", full("a"), s))).toEqual(["a"]);
    expect(targets(decide("message", "groupchat", full("c"), s))).toEqual(["c"]);
    expect(targets(decide("iq", "get", full("a"), s))).toEqual(["a"]);
    expect(targets(decide("presence", "", full("c"), s))).toEqual(["c"]);
  });

  it("no matching resource: chat as for the bare JID, other messages refused, errors ignored", () => {
    expect(targets(decide("message", "chat", full("zz"), s))).toEqual(["b"]);
    expect(decide("message", "chat", full("zz"), [session("c", true, -2)])).toEqual({ action: "offline" });
    expect(decide("message", "chat", full("zz"), [])).toEqual({ action: "offline" });
    for (const t of ["normal", "", "groupchat", "headline"]) {
      expect(decide("message", t, full("zz"), s)).toEqual({ action: "error", condition: "service-unavailable" });
    }
    expect(decide("message", "error", full("zz"), s)).toEqual({ action: "ignore" });
  });

  it("no matching resource: IQ get/set refused, result/error dropped, presence ignored", () => {
    expect(decide("iq", "get", full("zz"), s)).toEqual({ action: "error", condition: "service-unavailable" });
    expect(decide("iq", "result", full("zz"), s)).toEqual({ action: "ignore" });
    expect(decide("iq", "error", full("zz"), s)).toEqual({ action: "ignore" });
    expect(decide("presence", "", full("zz"), s)).toEqual({ action: "ignore" });
  });
});

describe("decide: properties", () => {
  it("never delivers a bare-JID message to a negative-priority or unavailable resource", () => {
    fc.assert(
      fc.property(messageTypes, sessionsArb, (type, sessions) => {
        const d = decide("message", type, bare, sessions);
        if (d.action === "deliver") for (const t of d.targets) expect(t.available && t.priority >= 0).toBe(true);
      }),
    );
  });

  it("a full JID of a connected resource always delivers messages and IQs to exactly it", () => {
    fc.assert(
      fc.property(fc.constantFrom("message" as const, "iq" as const), anyType, sessionsArb, (kind, type, sessions) => {
        for (const s of sessions) expect(decide(kind, type, parseJid(s.jid), sessions)).toEqual({ action: "deliver", targets: [s] });
      }),
    );
  });

  it("chat to a bare JID: delivered to all top-priority resources iff one is non-negative, else offline", () => {
    fc.assert(
      fc.property(sessionsArb, (sessions) => {
        const d = decide("message", "chat", bare, sessions);
        const avail = sessions.filter((s) => s.available && s.priority >= 0);
        if (avail.length === 0) {
          expect(d).toEqual({ action: "offline" });
          return;
        }
        const top = Math.max(...avail.map((s) => s.priority));
        expect(targets(d)).toEqual(targets({ action: "deliver", targets: avail.filter((s) => s.priority === top) }));
      }),
    );
  });

  it("always returns a decision, and only delivers to sessions it was given", () => {
    fc.assert(
      fc.property(anyKind, anyType, fc.constantFrom(BARE, `${BARE}/a`, `${BARE}/zz`), sessionsArb, (kind, type, to, sessions) => {
        const d = decide(kind, type, parseJid(to), sessions);
        expect(["deliver", "offline", "error", "ignore", "server"]).toContain(d.action);
        if (d.action === "deliver") {
          expect(d.targets.length).toBeGreaterThan(0);
          for (const t of d.targets) expect(sessions).toContain(t);
        }
      }),
    );
  });
});
