// The pg client across a Postgres crash: work in flight fails with an error isTransient knows,
// nothing crashes the process, and the next query after the restart succeeds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrivatePostgres, type PrivateService } from "@xmppd/testkit";
import { isTransient } from "@xmppd/runtime";
import { createPgClient } from "./pg-client.ts";
import type { SqlClient } from "../types.ts";

let postgres: PrivateService;
let sql: SqlClient;

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  sql = createPgClient({ url: postgres.url, max: 2 });
  await sql.query("CREATE TABLE t (v int)");
}, 60_000);

afterAll(async () => {
  await sql?.close();
  await postgres?.stop();
});

describe("createPgClient when Postgres restarts", () => {
  it("fails a transaction whose connection died between queries, without an unhandled 'error' event", async () => {
    let killed!: () => void;
    const crashed = new Promise<void>((resolve) => (killed = resolve));
    const tx = sql.transaction(async (q) => {
      await q.query("INSERT INTO t VALUES (1)");
      // The server dies while this transaction waits on something else (a bus publish, say).
      await postgres.kill();
      killed();
      await new Promise((r) => setTimeout(r, 100));
      await q.query("INSERT INTO t VALUES (2)");
    });
    const err = await tx.then(() => undefined, (e: unknown) => e);
    await crashed;
    expect(isTransient(err)).toBe(true);
    await postgres.start();
    // The broken client was destroyed, not returned to the pool: fresh connections work.
    await sql.query("INSERT INTO t VALUES (3)");
    await sql.query("INSERT INTO t VALUES (4)");
    expect((await sql.query<{ v: number }>("SELECT v FROM t ORDER BY v")).rows).toEqual([{ v: 3 }, { v: 4 }]);
  });

  it("fails a plain query while Postgres is down with a transient error", async () => {
    await postgres.kill();
    const err = await sql.query("SELECT 1").then(() => undefined, (e: unknown) => e);
    expect(isTransient(err)).toBe(true);
    await postgres.start();
    expect((await sql.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });
});
