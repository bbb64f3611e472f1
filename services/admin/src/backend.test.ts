// The server operations on an embedded data directory nobody runs on (no admin.json): the
// database is opened directly; nobody is connected, so kick says so.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "@xmppd/config";
import { openAdminOps, openServerOps } from "./backend.ts";

const dataDir = mkdtempSync(join(tmpdir(), "xmppd-backend-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("embedded data directory without a running server", () => {
  it("counts users, migrates, shows an empty queue and refuses kick with the reason", async () => {
    const config = loadConfig({ env: { XMPPD__dataDir: dataDir } });
    const accounts = await openAdminOps(config);
    await accounts.register("alice", "localhost", "pw");
    await accounts.close();

    const server = await openServerOps(config);
    try {
      expect(await server.stats()).toEqual({ users: 1, sessions: 0, ampPending: 0, offlineMessages: 0 });
      expect((await server.migrate()).map((r) => [r.set, r.applied])).toEqual([["core", []], ["amp", []]]);
      expect(await server.ampQueue()).toMatchObject({ stream: "in-process", messages: 0 });
      await expect(server.kick("alice@localhost/x", "bye")).rejects.toMatchObject({
        code: "unavailable", message: `no server is running on ${dataDir} (nobody holds the data directory): nobody is connected`,
      });
      await expect(server.grant({ roles: { router: "r", ampWorker: "a" }, passwordFiles: {} })).rejects.toMatchObject({ code: "unavailable" });
    } finally {
      await server.close();
    }
  });
});
