import { describe, expect, it } from "vitest";
import { parseElement } from "@xmppd/xml";
import { ACCOUNT_CTX, ask, canonical, expectedError, hostWith } from "../host/testing.ts";
import { time, timeElement } from "./time.ts";

describe("entity time (XEP-0202)", () => {
  it("answers the server's UTC time", async () => {
    const before = Date.now();
    const reply = parseElement((await ask(hostWith(time), `<iq type="get" id="t1" from="romeo@example.com/orchard" to="example.com"><time xmlns="urn:xmpp:time"/></iq>`))!);
    const t = reply.getChild("time", "urn:xmpp:time")!;
    expect(t.getChildText("tzo")).toBe("+00:00");
    expect(t.getChildText("utc")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(t.getChildText("utc")!)).toBeGreaterThanOrEqual(before - 1);
    expect(canonical(timeElement(new Date("2026-11-22T07:00:00.000Z")))).toBe(canonical(`<time xmlns="urn:xmpp:time"><tzo>+00:00</tzo><utc>2026-11-22T07:00:00.000Z</utc></time>`));
  });

  it("declines on an account's behalf", async () => {
    const iq = `<iq type="get" id="t2" from="romeo@example.com/orchard" to="juliet@example.com"><time xmlns="urn:xmpp:time"/></iq>`;
    expect(await ask(hostWith(time), iq, ACCOUNT_CTX)).toBe(expectedError(iq, "service-unavailable"));
  });
});
