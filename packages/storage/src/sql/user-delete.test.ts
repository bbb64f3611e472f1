// Deleting an account deletes its data in the core schema with it (XEP-0077 §3.2 cancellation,
// and the admin CLI's unregister), and nobody else's.
import { expect, it } from "vitest";
import { createAccountXmlStore } from "./account-xml-store.ts";
import { createBlockStore } from "./block-store.ts";
import { createLastActivityStore } from "./last-activity-store.ts";
import { migrate } from "./migrate.ts";
import { createPgliteClient } from "./pglite-client.ts";
import { createRosterStore } from "./roster-store.ts";
import { createUserStore } from "./user-store.ts";
import type { RosterItem, ScramCredential } from "../types.ts";

const cred: ScramCredential = { salt: "c2FsdA==", iterations: 4096, storedKey: "a2V5", serverKey: "a2V5" };
const item: RosterItem = { jid: "carol@example.net", name: null, subscription: "both", ask: null, approved: false, pendingIn: false, pendingInStanza: null, groups: [] };

it("removes the roster, block list, stored XML and last activity of the deleted account only", async () => {
  const sql = createPgliteClient();
  try {
    await migrate(sql, "core");
    const users = createUserStore(sql);
    const rosters = createRosterStore(sql);
    const blocks = createBlockStore(sql);
    const xml = createAccountXmlStore(sql);
    const last = createLastActivityStore(sql);
    for (const username of ["alice", "bob"]) {
      await users.create({ domain: "example.com", username, scram: { "SCRAM-SHA-1": cred, "SCRAM-SHA-256": cred } });
      const owner = `${username}@example.com`;
      await rosters.upsert(owner, item);
      await blocks.block(owner, ["spam@example.net"]);
      await xml.put(owner, "vcard", "", "<vCard xmlns='vcard-temp'/>");
      await last.record(owner, new Date(), "gone");
    }
    const before = (await blocks.get("alice@example.com")).version;
    expect(await users.delete("example.com", "alice")).toBe(true);
    expect((await blocks.get("alice@example.com")).version).toBeGreaterThan(before);
    expect((await rosters.get("alice@example.com")).items).toEqual([]);
    expect((await blocks.get("alice@example.com")).jids).toEqual([]);
    expect((await blocks.get("bob@example.com")).jids).toEqual(["spam@example.net"]);
    expect(await xml.get("alice@example.com", "vcard", "")).toBeNull();
    expect(await last.get("alice@example.com")).toBeNull();
    expect((await rosters.get("bob@example.com")).items).toHaveLength(1);
    expect(await xml.get("bob@example.com", "vcard", "")).not.toBeNull();
    expect(await last.get("bob@example.com")).not.toBeNull();
  } finally {
    await sql.close();
  }
}, 120_000); // PGlite with the core migrations is slow on a loaded machine
