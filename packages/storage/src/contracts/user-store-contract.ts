import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScramCredential, UserRecord, UserStore } from "../types.ts";

export interface UserStoreFixture {
  store: UserStore;
  close(): Promise<void>;
}

const cred = (seed: string, iterations = 4096): ScramCredential => ({
  salt: Buffer.from(`salt-${seed}`).toString("base64"),
  iterations,
  storedKey: Buffer.from(`stored-${seed}`).toString("base64"),
  serverKey: Buffer.from(`server-${seed}`).toString("base64"),
});
const scram = (seed: string): UserRecord["scram"] => ({ "SCRAM-SHA-1": cred(`1${seed}`), "SCRAM-SHA-256": cred(`256${seed}`, 8192) });

/** Runs against one migrated database; each test uses its own random domain. */
export function runUserStoreContract(label: string, factory: () => Promise<UserStoreFixture>) {
  describe(`UserStore contract: ${label}`, () => {
    let fx: UserStoreFixture;
    beforeAll(async () => void (fx = await factory()));
    afterAll(() => fx?.close());
    const newDomain = () => `${randomBytes(4).toString("hex")}.example`;

    it("creates and reads a user with both credentials", async () => {
      const domain = newDomain();
      const before = Date.now();
      await fx.store.create({ domain, username: "alice", scram: scram("a") });
      const got = await fx.store.get(domain, "alice");
      expect(got).toMatchObject({ domain, username: "alice", scram: scram("a") });
      expect(got?.createdAt).toBeInstanceOf(Date);
      expect(Math.abs(got!.createdAt.getTime() - before)).toBeLessThan(60_000);
      expect(await fx.store.get(domain, "bob")).toBeNull();
      expect(await fx.store.get(newDomain(), "alice")).toBeNull();
      expect(await fx.store.exists(domain, "alice")).toBe(true);
      expect(await fx.store.exists(domain, "bob")).toBe(false);
      expect(await fx.store.exists(newDomain(), "alice")).toBe(false);
    });

    it("refuses a duplicate account with UserExistsError and keeps the original", async () => {
      const domain = newDomain();
      await fx.store.create({ domain, username: "alice", scram: scram("a") });
      const err = await fx.store.create({ domain, username: "alice", scram: scram("b") }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe("UserExistsError");
      expect((await fx.store.get(domain, "alice"))?.scram).toEqual(scram("a"));
    });

    it("replaces credentials only for an existing user", async () => {
      const domain = newDomain();
      await fx.store.create({ domain, username: "alice", scram: scram("a") });
      expect(await fx.store.setCredentials(domain, "alice", scram("new"))).toBe(true);
      expect((await fx.store.get(domain, "alice"))?.scram).toEqual(scram("new"));
      expect(await fx.store.setCredentials(domain, "nobody", scram("x"))).toBe(false);
    });

    it("deletes a user once", async () => {
      const domain = newDomain();
      await fx.store.create({ domain, username: "alice", scram: scram("a") });
      expect(await fx.store.delete(domain, "alice")).toBe(true);
      expect(await fx.store.delete(domain, "alice")).toBe(false);
      expect(await fx.store.get(domain, "alice")).toBeNull();
    });

    it("lists usernames of one domain in byte order, with a limit", async () => {
      const [domain, other] = [newDomain(), newDomain()];
      for (const u of ["zed", "Bob", "alice", "émile"]) await fx.store.create({ domain, username: u, scram: scram(u) });
      await fx.store.create({ domain: other, username: "carol", scram: scram("c") });
      expect(await fx.store.list(domain)).toEqual(["Bob", "alice", "zed", "émile"]);
      expect(await fx.store.list(domain, 2)).toEqual(["Bob", "alice"]);
      expect(await fx.store.list(newDomain())).toEqual([]);
    });

    it("keeps one server secret per name, the same for concurrent first callers", async () => {
      const name = `secret-${randomBytes(4).toString("hex")}`;
      const [a, b] = await Promise.all([fx.store.serverSecret(name), fx.store.serverSecret(name)]);
      expect(a).toHaveLength(32);
      expect(b.equals(a)).toBe(true);
      expect((await fx.store.serverSecret(name)).equals(a)).toBe(true);
      expect((await fx.store.serverSecret(`${name}-other`)).equals(a)).toBe(false);
    });
  });
}
