// The bench's SCRAM client against the server implementation of packages/sasl: both hashes log
// in, the server's signature verifies, a wrong password fails, and a second login of the same
// account reuses the cached salted password (what the login benchmark relies on).
import { describe, expect, it } from "vitest";
import { hashPassword, type CredentialLookup, type ScramCredentials } from "@xmppd/sasl";
import { ScramServer } from "../packages/sasl/src/scram-server.ts";
import { ScramClient } from "./scram-client.ts";

const users = new Map<string, ScramCredentials>([["bench0", hashPassword("bench", { iterations: 4096 })]]);
const lookup: CredentialLookup = async (name) => users.get(name) ?? null;

async function login(name: "SCRAM-SHA-1" | "SCRAM-SHA-256", password: string): Promise<{ ok: boolean; verified: boolean }> {
  const server = new ScramServer(name, false, lookup);
  const client = new ScramClient(name, "bench0", password);
  const challenge = await server.step(Buffer.from(client.first()));
  if (challenge.kind !== "challenge") throw new Error(`unexpected ${challenge.kind}`);
  const outcome = await server.step(Buffer.from(client.final(challenge.data.toString())));
  if (outcome.kind !== "success") return { ok: false, verified: false };
  return { ok: true, verified: client.verify(outcome.data?.toString() ?? "") };
}

describe.each(["SCRAM-SHA-1", "SCRAM-SHA-256"] as const)("bench SCRAM client, %s", (name) => {
  it("logs in and verifies the server's signature, twice (the second from the cache)", async () => {
    expect(await login(name, "bench")).toEqual({ ok: true, verified: true });
    expect(await login(name, "bench")).toEqual({ ok: true, verified: true });
  });

  it("fails with a wrong password", async () => {
    expect(await login(name, "wrong")).toEqual({ ok: false, verified: false });
  });

  it("refuses a server nonce that does not extend its own", () => {
    const client = new ScramClient(name, "bench0", "bench", "abc");
    expect(() => client.final("r=xyz123,s=c2FsdA==,i=4096")).toThrow(/server-first/);
  });
});
