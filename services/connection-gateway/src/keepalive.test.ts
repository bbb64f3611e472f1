import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseElement } from "@xmppd/xml";
import { Keepalive } from "./keepalive.ts";

let jid: string | null = null;
const written: string[] = [];
let timedOut = 0;

function keepalive(whitespace = true): Keepalive {
  return new Keepalive(1000, {
    jid: () => jid,
    domain: () => "localhost",
    canWhitespace: () => whitespace,
    write: (text) => written.push(text),
    timedOut: () => (timedOut += 1),
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  jid = null;
  written.length = 0;
  timedOut = 0;
});
afterEach(() => vi.useRealTimers());

describe("server keepalives (XEP-0199)", () => {
  it("sends whitespace to an idle stream before binding and never times it out", () => {
    const k = keepalive();
    vi.advanceTimersByTime(3500);
    expect(written).toEqual([" ", " ", " "]);
    expect(timedOut).toBe(0);
    k.stop();
  });

  it("pings a quiet bound client and closes it when nothing comes back", () => {
    jid = "alice@localhost/a";
    keepalive();
    vi.advanceTimersByTime(1000);
    expect(written).toHaveLength(1);
    const ping = parseElement(written[0]!);
    expect(ping.toString()).toBe(`<iq xmlns="jabber:client" type="get" id="${ping.attrs.id}" from="localhost" to="alice@localhost/a"><ping xmlns="urn:xmpp:ping"/></iq>`);
    vi.advanceTimersByTime(999);
    expect(timedOut).toBe(0);
    vi.advanceTimersByTime(1);
    expect(timedOut).toBe(1);
  });

  it("keeps a client that answers, and consumes only the answer to its own ping", () => {
    jid = "alice@localhost/a";
    const k = keepalive();
    vi.advanceTimersByTime(1000);
    const id = parseElement(written[0]!).attrs.id!;
    vi.advanceTimersByTime(500);
    k.touch();
    expect(k.isAnswer(parseElement("<iq type='result' id='other'/>"))).toBe(false);
    expect(k.isAnswer(parseElement(`<iq type='result' id='${id}'/>`))).toBe(true);
    expect(k.isAnswer(parseElement(`<iq type='result' id='${id}'/>`))).toBe(false);
    vi.advanceTimersByTime(1400);
    expect(timedOut).toBe(0);
    expect(written).toHaveLength(2); // quiet again for a whole interval: the next ping
  });

  it("does not ping a client that keeps sending", () => {
    jid = "alice@localhost/a";
    const k = keepalive();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(600);
      k.touch();
    }
    expect(written).toEqual([]);
    k.stop();
  });
});
