import { describe, expect, it } from "vitest";
import { disposition, type DispositionInput } from "./disposition.ts";
import { RECIPIENT, session } from "./test-helpers.ts";

const FULL = `${RECIPIENT}/balcony`;
const base: DispositionInput = { type: "chat", to: RECIPIENT, sessions: [], accountExists: true, storageEnabled: true, quotaReached: false };
const disp = (over: Partial<DispositionInput>) => {
  const d = disposition({ ...base, ...over });
  return [d.deliver, d.destination, d.bounce];
};

describe("disposition (DP-07, RFC 6121 §8.5)", () => {
  it("bare JID: the highest non-negative available resource is the destination", () => {
    expect(disp({ sessions: [session("a", 1), session("b", 5), session("c", 5, false)] })).toEqual(["direct", `${RECIPIENT}/b`, false]);
  });

  it("bare JID: negative-priority and unavailable resources never count", () => {
    expect(disp({ sessions: [session("a", -1), session("b", 9, false)] })).toEqual(["stored", "bare", false]);
  });

  it("full JID: that resource if available, whatever its priority", () => {
    expect(disp({ to: FULL, type: "normal", sessions: [session("balcony", -5), session("b", 10)] })).toEqual(["direct", FULL, false]);
  });

  it("full JID unavailable: chat goes as if bare, other types go nowhere", () => {
    const sessions = [session("balcony", 3, false), session("b", 0)];
    expect(disp({ to: FULL, sessions })).toEqual(["direct", `${RECIPIENT}/b`, false]);
    expect(disp({ to: FULL, type: "normal", sessions })).toEqual(["none", null, true]);
    expect(disp({ to: FULL, type: "headline", sessions })).toEqual(["none", null, false]);
  });

  it("full JID, chat, no eligible resource: stored", () => {
    expect(disp({ to: FULL, sessions: [session("x", -1)] })).toEqual(["stored", "bare", false]);
  });

  it("no target: chat and normal (also untyped) are stored", () => {
    expect(disp({ type: "normal" })).toEqual(["stored", "bare", false]);
    expect(disp({ type: undefined })).toEqual(["stored", "bare", false]);
    expect(disp({ type: "bogus" })).toEqual(["stored", "bare", false]);
  });

  it("no target: storage disabled or quota reached is none with a bounce (DP-18)", () => {
    expect(disp({ storageEnabled: false })).toEqual(["none", null, true]);
    expect(disp({ quotaReached: true })).toEqual(["none", null, true]);
  });

  it("a missing account is none and bounces, whatever its sessions", () => {
    expect(disp({ accountExists: false, sessions: [session("a", 1)] })).toEqual(["none", null, true]);
  });

  it("headline to nobody is silent; groupchat bounces; both direct when someone is there (DP-15)", () => {
    expect(disp({ type: "headline" })).toEqual(["none", null, false]);
    expect(disp({ type: "groupchat" })).toEqual(["none", null, true]);
    expect(disp({ type: "headline", sessions: [session("a", 0)] })).toEqual(["direct", `${RECIPIENT}/a`, false]);
    expect(disp({ type: "groupchat", sessions: [session("a", 0)] })).toEqual(["direct", `${RECIPIENT}/a`, false]);
  });

  it("keeps the intended recipient for match-resource", () => {
    expect(disposition({ ...base, to: FULL }).intended).toBe(FULL);
  });
});
