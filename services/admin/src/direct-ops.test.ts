import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMechanism } from "@xmppd/sasl";
import { createMemorySessionStore, createPgliteClient, createUserStore, migrate } from "@xmppd/storage";
import type { SessionStore, SqlClient, UserStore } from "@xmppd/storage";
import { createDirectAdminOps } from "./direct-ops.ts";
import { AdminError } from "./ops.ts";
import type { AdminOps } from "./ops.ts";

let sql: SqlClient;
let users: UserStore;
let sessions: SessionStore;
let ops: AdminOps;

beforeEach(async () => {
  sql = createPgliteClient();
  await migrate(sql, "core");
  users = createUserStore(sql);
  sessions = createMemorySessionStore();
  ops = createDirectAdminOps({ users, sessions, iterations: 4096, domains: ["localhost"], close: () => sql.close() });
});
afterEach(async () => ops.close());

/** Runs a PLAIN exchange against the stored credential: true when the password is accepted. */
async function accepts(username: string, password: string): Promise<boolean> {
  const mech = createMechanism("PLAIN", async (name) => (await users.get("localhost", name))?.scram ?? null);
  const step = await mech.step(Buffer.from(`\0${username}\0${password}`));
  return step.kind === "success";
}

const code = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof AdminError) return err.code;
    throw err;
  }
  return undefined;
};

describe("AdminOps on the stores (PGlite in memory)", () => {
  it("registers an account with a prepared JID and lists it", async () => {
    expect(await ops.register("Alice", "LOCALHOST", "secret")).toBe("alice@localhost");
    expect(await ops.users("localhost")).toEqual(["alice"]);
    expect(await accepts("alice", "secret")).toBe(true);
  });

  it("refuses a duplicate with 'user already exists'", async () => {
    await ops.register("alice", "localhost", "secret");
    await expect(ops.register("alice", "localhost", "other")).rejects.toThrow("user already exists");
    expect(await code(ops.register("alice", "localhost", "other"))).toBe("exists");
  });

  it("passwd replaces the credential", async () => {
    await ops.register("alice", "localhost", "old");
    await ops.passwd("alice", "localhost", "new");
    expect(await accepts("alice", "new")).toBe(true);
    expect(await accepts("alice", "old")).toBe(false);
    expect(await code(ops.passwd("nobody", "localhost", "x"))).toBe("not-found");
  });

  it("unregister deletes the account, and a second time is not-found", async () => {
    await ops.register("alice", "localhost", "secret");
    expect(await ops.unregister("alice", "localhost")).toBe("alice@localhost");
    expect(await users.get("localhost", "alice")).toBeNull();
    expect(await code(ops.unregister("alice", "localhost"))).toBe("not-found");
  });

  it("refuses a domain the cluster does not serve and malformed users", async () => {
    expect(await code(ops.register("alice", "example.org", "x"))).toBe("invalid");
    expect(await code(ops.register("a@b", "localhost", "x"))).toBe("invalid");
    expect(await code(ops.register("", "localhost", "x"))).toBe("invalid");
  });

  it("lists sessions with the total", async () => {
    await sessions.bind({ jid: "alice@localhost/phone", gateway: "gw1", conn: "c1", available: true, priority: 5, boundAt: 1 }, 10);
    const page = await ops.sessions(10);
    expect(page.total).toBe(1);
    expect(page.sessions[0]).toMatchObject({ jid: "alice@localhost/phone", gateway: "gw1", priority: 5 });
  });
});
