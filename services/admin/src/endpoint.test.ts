import { afterEach, describe, expect, it } from "vitest";
import { createMemorySessionStore, createPgliteClient, createUserStore, migrate } from "@xmppd/storage";
import { createDirectAdminOps } from "./direct-ops.ts";
import { serveAdminOps } from "./endpoint.ts";
import type { AdminEndpoint } from "./endpoint.ts";
import { AdminError } from "./ops.ts";
import { createRemoteAdminOps } from "./remote-ops.ts";

let endpoint: AdminEndpoint | undefined;
afterEach(async () => endpoint?.close());

async function serve(): Promise<AdminEndpoint> {
  const sql = createPgliteClient();
  await migrate(sql, "core");
  const ops = createDirectAdminOps({ users: createUserStore(sql), sessions: createMemorySessionStore(), iterations: 4096, domains: ["localhost"] });
  endpoint = await serveAdminOps(ops);
  return endpoint;
}

describe("embedded admin endpoint", () => {
  it("runs operations for a client with the token, with AdminErrors intact", async () => {
    const remote = createRemoteAdminOps(await serve());
    expect(await remote.register("alice", "localhost", "pw")).toBe("alice@localhost");
    expect(await remote.users("localhost")).toEqual(["alice"]);
    const dup = await remote.register("alice", "localhost", "pw").catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(AdminError);
    expect(dup).toMatchObject({ code: "exists", message: "user already exists" });
    expect(await remote.sessions(5)).toEqual({ total: 0, sessions: [] });
  });

  it("refuses a wrong token and unknown operations", async () => {
    const ep = await serve();
    const bad = await fetch(`${ep.url}/ops/users`, { method: "POST", headers: { authorization: "Bearer nope" }, body: '{"args":["localhost"]}' });
    expect(bad.status).toBe(401);
    const unknown = await fetch(`${ep.url}/ops/close`, { method: "POST", headers: { authorization: `Bearer ${ep.token}` }, body: '{"args":[]}' });
    expect(unknown.status).toBe(404);
    expect(new URL(ep.url).hostname).toBe("127.0.0.1");
  });

  it("serves the operations whose names have capitals, and names an unexpected failure instead of only 'internal error'", async () => {
    const sql = createPgliteClient();
    await migrate(sql, "core");
    const direct = createDirectAdminOps({ users: createUserStore(sql), iterations: 4096, domains: ["localhost"], missing: { offline: "no offline storage here" } });
    endpoint = await serveAdminOps({ ...direct, users: async () => { throw new Error("disk on fire"); } });
    const remote = createRemoteAdminOps(endpoint);
    await expect(remote.ampMessages("alice", "localhost")).rejects.toMatchObject({ code: "unavailable", message: "no offline storage here" });
    await expect(remote.users("localhost")).rejects.toMatchObject({ code: "internal", message: "internal error: disk on fire (see the server log)" });
    // A server operation this endpoint does not serve is unknown, as any other name.
    await expect(remote.stats()).rejects.toMatchObject({ code: "invalid", message: "unknown operation" });
  });
});
