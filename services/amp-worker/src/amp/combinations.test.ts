// Every condition x value x action against each disposition (DP-07, DP-09, DP-18), asserting what
// each party sees. The expectations are written from XEP-0079 and the decisions, not from the code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmpWork, ToGateway } from "@xmppd/bus";
import { waitFor } from "@xmppd/testkit";
import { createHarness, type Harness } from "../test-harness.ts";

const AMP = "http://jabber.org/protocol/amp";
const ALICE = "alice@localhost/phone";
type Scenario = "direct-bare" | "direct-full" | "stored" | "none";
const TARGET: Record<Scenario, string> = { "direct-bare": "bob@localhost", "direct-full": "bob@localhost/desk", stored: "carol@localhost", none: "nobody@localhost" };
const DEFAULT: Record<Scenario, "delivered" | "stored" | "bounced"> = { "direct-bare": "delivered", "direct-full": "delivered", stored: "stored", none: "bounced" };

/** Whether the condition is met in the scenario (XEP-0079 §3.3, DP-09 table). */
function met(condition: string, value: string, sc: Scenario): boolean {
  if (condition === "deliver") return value === { "direct-bare": "direct", "direct-full": "direct", stored: "stored", none: "none" }[sc];
  if (condition === "expire-at") return value.startsWith("2001");
  const direct = sc === "direct-bare" || sc === "direct-full";
  if (value === "any") return direct;
  if (value === "exact") return sc === "direct-full" || sc === "stored";
  return sc === "direct-bare";
}

const CASES: [string, string][] = [
  ...["direct", "forward", "gateway", "none", "stored"].map((v): [string, string] => ["deliver", v]),
  ...["any", "exact", "other"].map((v): [string, string] => ["match-resource", v]),
  ["expire-at", "2001-01-01T00:00:00Z"],
  ["expire-at", "2999-01-01T00:00:00Z"],
];
const ACTIONS = ["alert", "drop", "error", "notify"];

let h: Harness;
let seq = 0;
beforeAll(async () => {
  h = await createHarness({ env: { XMPPD__amp__security: "none" } });
  for (const u of ["alice", "bob", "carol"]) await h.addUser(u);
  await h.bindSession(ALICE, "gwa", "ca");
  await h.bindSession("bob@localhost/desk", "gwb", "cb");
  h.inbox("gwa");
  h.inbox("gwb");
});
afterAll(() => h?.close());

function work(to: string, condition: string, action: string, value: string): Extract<AmpWork, { t: "message" }> {
  seq += 1;
  const xml = `<message xmlns="jabber:client" from="${ALICE}" to="${to}" type="chat" id="c${seq}"><body>x</body><amp xmlns="${AMP}"><rule condition="${condition}" action="${action}" value="${value}"/></amp></message>`;
  return { t: "message", key: `gw1:c1:${seq}`, order: String(seq).padStart(12, "0"), to, from: ALICE, xml, acceptedAt: Date.now(), amp: true };
}

const texts = (list: ToGateway[], from: number) => list.slice(from).map((e) => (e.t === "deliver" ? e.xml : ""));

describe.each(Object.keys(TARGET) as Scenario[])("disposition %s", (sc) => {
  it.each(CASES.flatMap(([c, v]) => ACTIONS.map((a) => [c, v, a])))("%s=%s, action %s", async (condition, value, action) => {
    const to = TARGET[sc];
    const [aliceBefore, bobBefore, storedBefore] = [h.inbox("gwa").length, h.inbox("gwb").length, await h.offline.count("carol@localhost")];
    const w = work(to, condition!, action!, value!);
    await h.send(w);
    await waitFor(async () => (await h.queue.pending()) === 0, { what: "processed" });
    await new Promise((r) => setTimeout(r, 10));
    const toAlice = texts(h.inbox("gwa"), aliceBefore);
    const toBob = texts(h.inbox("gwb"), bobBefore);
    const stored = (await h.offline.count("carol@localhost")) - storedBefore;
    const isMet = met(condition!, value!, sc);
    const runsDefault = !isMet || action === "notify";
    const outcome = DEFAULT[sc];
    // The message itself: the default behaviour, unless a met rule other than notify overrode it.
    expect(toBob.filter((x) => x.includes("<body>")).length).toBe(runsDefault && outcome === "delivered" ? 1 : 0);
    expect(stored).toBe(runsDefault && outcome === "stored" ? 1 : 0);
    const bounces = toAlice.filter((x) => x.includes("service-unavailable"));
    expect(bounces.length).toBe(runsDefault && outcome === "bounced" ? 1 : 0);
    // The event: one for alert, error and notify when met (DP-08), none for drop or when unmet.
    const events = toAlice.filter((x) => x.includes(`xmlns="${AMP}" status=`));
    expect(events.length).toBe(isMet && action !== "drop" ? 1 : 0);
    if (events[0]) {
      expect(events[0]).toContain(`status="${action}"`);
      expect(events[0]).toContain(`<rule condition="${condition}" action="${action}" value="${value}"/>`);
      expect(events[0].includes('type="error"')).toBe(action === "error");
      expect(events[0]).not.toContain("<body>");
    }
    if (stored === 1) await h.amp.purge("carol@localhost");
  });
});
