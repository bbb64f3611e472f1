import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configSchema } from "@xmppd/config";
import { openDatabases } from "./databases.ts";

const dir = mkdtempSync(join(tmpdir(), "stores-runtime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openDatabases", () => {
  it("keeps PGlite data in dataDir across restarts, with both schemas migrated", async () => {
    const config = configSchema.parse({ dataDir: dir });
    const first = await openDatabases(config, { amp: true });
    expect(first.isEmbedded).toBe(true);
    expect(first.amp).toBe(first.core);
    await first.core.query("insert into core.users (domain, username, scram_sha1, scram_sha256) values ('localhost', 'kept', '{}', '{}')");
    await first.close();
    const second = await openDatabases(config, { amp: true });
    const { rows } = await second.core.query<{ username: string }>("select username from core.users");
    expect(rows.map((r) => r.username)).toEqual(["kept"]);
    const offline = await second.amp.query("select count(*)::int as n from amp.offline_messages");
    expect(offline.rows).toEqual([{ n: 0 }]);
    await second.close();
  });
});
