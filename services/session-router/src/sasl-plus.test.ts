// The router's side of SCRAM-*-PLUS: the binding data comes with <auth/> from the gateway
// (envelope field cb); without it a -PLUS mechanism is not on offer.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChannelBinding } from "@xmppd/bus";
import { scramClient } from "@xmppd/sasl";
import { parseElement } from "@xmppd/xml";
import { PASSWORD, createTestUsers, startHarness, type Harness, type TestDb } from "./test-gateway.ts";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const exporter = Buffer.alloc(32, 0x5a);
const cb: ChannelBinding[] = [{ type: "tls-exporter", data: exporter.toString("base64") }];
let h: Harness;
let db: TestDb;

// Building PGlite with its migrations is slow on a loaded machine.
beforeAll(async () => void (db = await createTestUsers()), 120_000);
afterAll(async () => db.sql.close());
beforeEach(async () => void (h = await startHarness(db, { config: { sasl: { mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] } } })));
afterEach(async () => h.close());

const text = (e: object) => String((e as { xml: string }).xml);

async function exchange(conn: string, mechanism: string, gs2Header: string, opts: { cb?: typeof cb; cbindData?: Buffer } = {}) {
  const client = scramClient("SCRAM-SHA-256", "juliet", PASSWORD, { gs2Header, ...(opts.cbindData ? { cbindData: opts.cbindData } : {}) });
  let since = h.received.length;
  h.send("gw1", { t: "sasl", conn, xml: `<auth xmlns="${SASL}" mechanism="${mechanism}">${client.first().toString("base64")}</auth>`, ...(opts.cb ? { cb: opts.cb } : {}) });
  const first = await h.next((e) => e.t === "sasl" && e.conn === conn, since);
  if (text(first).startsWith("<failure")) return first;
  since = h.received.length;
  const final = client.final(Buffer.from(parseElement(text(first)).getText(), "base64"));
  h.send("gw1", { t: "sasl", conn, xml: `<response xmlns="${SASL}">${final.toString("base64")}</response>` });
  return h.next((e) => e.t === "sasl" && e.conn === conn, since);
}

describe("SCRAM-*-PLUS in the router", () => {
  it("logs in with the binding data the gateway sent", async () => {
    expect(await exchange("c1", "SCRAM-SHA-256-PLUS", "p=tls-exporter,,", { cb, cbindData: exporter })).toMatchObject({ user: "juliet@example.com" });
  });

  it("answers invalid-mechanism to -PLUS without binding data (no TLS at the gateway)", async () => {
    expect(text(await exchange("c2", "SCRAM-SHA-256-PLUS", "p=tls-exporter,,", { cbindData: exporter }))).toBe(`<failure xmlns="${SASL}"><invalid-mechanism/></failure>`);
  });

  it("fails a downgraded y with not-authorized only when -PLUS was offered", async () => {
    expect(text(await exchange("c3", "SCRAM-SHA-256", "y,,", { cb }))).toBe(`<failure xmlns="${SASL}"><not-authorized/></failure>`);
    expect(await exchange("c4", "SCRAM-SHA-256", "y,,")).toMatchObject({ user: "juliet@example.com" });
  });

  it("fails other binding data with not-authorized", async () => {
    expect(text(await exchange("c5", "SCRAM-SHA-256-PLUS", "p=tls-exporter,,", { cb, cbindData: Buffer.alloc(32) }))).toBe(`<failure xmlns="${SASL}"><not-authorized/></failure>`);
  });
});
