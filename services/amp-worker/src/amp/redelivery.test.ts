// A worker delivers, then acknowledges the work; when NATS restarts in between, the ack is lost
// and the work comes back. The repeat must not reach the client: every live delivery of a work
// item carries its intake key as `once`, which the gateway (and the SmStore for resumable
// sessions) writes at most once.
import { afterEach, describe, expect, it } from "vitest";
import type { AmpWork, ToGateway } from "@xmppd/bus";
import { waitFor } from "@xmppd/testkit";
import { DEFAULT_HANDLERS } from "../app.ts";
import type { HandlerTable } from "../context.ts";
import { createHarness, messageWork, type Harness } from "../test-harness.ts";

const AMP = "http://jabber.org/protocol/amp";
const ALICE = "alice@localhost/phone";
let h: Harness;
afterEach(async () => h?.close());

function ampWork(to: string, id: string): Extract<AmpWork, { t: "message" }> {
  const base = messageWork(to, ALICE, "hi");
  const xml = `<message xmlns="jabber:client" from="${ALICE}" to="${to}" type="chat" id="${id}"><body>hi</body><amp xmlns="${AMP}"><rule condition="deliver" action="drop" value="stored"/></amp></message>`;
  return { ...base, xml, amp: true };
}

/** The message handler runs fully, then its first acknowledgement is "lost": the work is redelivered. */
function ackLostOnce(): { handlers: HandlerTable; runs: () => number } {
  let runs = 0;
  const handlers: HandlerTable = {
    ...DEFAULT_HANDLERS,
    message: async (work, ctx, meta) => {
      const outcome = await DEFAULT_HANDLERS.message(work, ctx, meta);
      if (++runs === 1) throw new Error("NATS connection lost before the ack");
      return outcome;
    },
  };
  return { handlers, runs: () => runs };
}

/** What a connection writes: a `once` key it has seen before is dropped (once-keys.ts). */
function written(inbox: ToGateway[]): string[] {
  const seen = new Set<string>();
  return inbox.flatMap((e) => {
    if (e.t !== "deliver" || (e.once !== undefined && seen.has(e.once))) return [];
    if (e.once !== undefined) seen.add(e.once);
    return [e.xml];
  });
}

describe("AMP work redelivered after its acknowledgement was lost", () => {
  it("reaches a connection without resumption once", async () => {
    const lost = ackLostOnce();
    h = await createHarness({ handlers: lost.handlers });
    await h.addUser("bob");
    await h.bindSession("bob@localhost/desk", "gwb", "cb");
    const inbox = h.inbox("gwb");
    await h.send(ampWork("bob@localhost", "r1"));
    await waitFor(async () => lost.runs() === 2 && (await h.queue.pending()) === 0, { what: "the redelivery acknowledged" });
    expect(inbox.filter((e) => e.t === "deliver")).toHaveLength(2);
    expect(written(inbox)).toHaveLength(1);
  });

  it("is kept once for a resumable session (the SmStore numbers the repeat as before)", async () => {
    const lost = ackLostOnce();
    h = await createHarness({ handlers: lost.handlers });
    await h.addUser("bob");
    await h.bindResumable("bob@localhost/desk", "gwb", "cb", "sm-bob");
    const inbox = h.inbox("gwb");
    await h.send(ampWork("bob@localhost", "r2"));
    await waitFor(async () => lost.runs() === 2 && (await h.queue.pending()) === 0, { what: "the redelivery acknowledged" });
    const numbers = inbox.flatMap((e) => (e.t === "deliver" && e.sm !== undefined ? [e.sm] : []));
    expect(numbers).toHaveLength(2);
    expect(new Set(numbers).size).toBe(1);
  });

  it("bounces a plain message to a gone resource once", async () => {
    const lost = ackLostOnce();
    h = await createHarness({ handlers: lost.handlers });
    await h.addUser("bob");
    await h.bindSession(ALICE, "gwa", "ca");
    const inbox = h.inbox("gwa");
    // RFC 6121 §8.5.3.2.1: a normal message for a full JID whose resource is not there.
    await h.send(messageWork("bob@localhost/gone", ALICE, "where", "normal"));
    await waitFor(async () => lost.runs() === 2 && (await h.queue.pending()) === 0, { what: "the redelivery acknowledged" });
    expect(inbox.filter((e) => e.t === "deliver")).toHaveLength(2);
    expect(written(inbox)).toHaveLength(1);
  });
});
