import { describe, expect, it } from "vitest";
import { scramClient } from "./client.ts";
import { hashPassword } from "./hash-password.ts";
import { createMechanism } from "./mechanism.ts";
import { deriveCredential } from "./scram-crypto.ts";
import type { CredentialLookup, SaslStep, ScramCredentials } from "./types.ts";

const b = (text: string) => Buffer.from(text);
const text = (step: SaslStep) => (step.kind === "failure" ? `failure:${step.condition}` : (step.data?.toString() ?? ""));

// RFC 5802 §5 and RFC 7677 §3: user "user", password "pencil", fixed nonces and salts.
const vectors = {
  "SCRAM-SHA-1": {
    salt: "QSXCR+Q6sek8bf92",
    clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    serverNonce: "3rfcNHYJY1ZVvWVs7j",
    serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
  },
  "SCRAM-SHA-256": {
    salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
    clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    clientFinal:
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
  },
} as const;

const rfcUser: ScramCredentials = {
  "SCRAM-SHA-1": deriveCredential("SCRAM-SHA-1", "pencil", Buffer.from(vectors["SCRAM-SHA-1"].salt, "base64"), 4096),
  "SCRAM-SHA-256": deriveCredential("SCRAM-SHA-256", "pencil", Buffer.from(vectors["SCRAM-SHA-256"].salt, "base64"), 4096),
};
const users = new Map<string, ScramCredentials>([["user", rfcUser], ["juliet", hashPassword("r0m30")]]);
const lookup: CredentialLookup = async (name) => users.get(name) ?? null;

describe.each(["SCRAM-SHA-1", "SCRAM-SHA-256"] as const)("%s server", (name) => {
  const v = vectors[name];

  it("reproduces the RFC test vector", async () => {
    const server = createMechanism(name, lookup, { serverNonce: () => v.serverNonce });
    expect(text(await server.step(b(v.clientFirst)))).toBe(v.serverFirst);
    const final = await server.step(b(v.clientFinal));
    expect(final).toEqual({ kind: "success", username: "user", data: b(v.serverFinal) });
  });

  it("authenticates the test client and is verified by it", async () => {
    const client = scramClient(name, "juliet", "r0m30");
    const server = createMechanism(name, lookup);
    const challenge = await server.step(client.first());
    const final = await server.step(client.final(text(challenge)));
    expect(final.kind).toBe("success");
    expect(client.verify(text(final))).toBe(true);
  });

  it("fails a wrong password with not-authorized", async () => {
    const client = scramClient(name, "juliet", "wrong");
    const server = createMechanism(name, lookup);
    const final = await server.step(client.final(text(await server.step(client.first()))));
    expect(final).toEqual({ kind: "failure", condition: "not-authorized", username: "juliet" });
  });

  it("runs a full exchange for an unknown user that ends like a wrong password", async () => {
    const run = async (user: string) => {
      const client = scramClient(name, user, "guess", { nonce: "clientnonce123" });
      const server = createMechanism(name, lookup, { serverNonce: () => "servernonce456" });
      const first = text(await server.step(client.first()));
      return { first, final: await server.step(client.final(first)) };
    };
    const ghost1 = await run("nobody");
    const ghost2 = await run("nobody");
    const real = await run("juliet");
    expect(ghost1.first).toBe(ghost2.first); // same salt every time, like a stored one
    expect(ghost1.first).toMatch(/^r=clientnonce123servernonce456,s=[A-Za-z0-9+/]{22}==,i=4096$/);
    expect(real.first).toMatch(/^r=clientnonce123servernonce456,s=[A-Za-z0-9+/]{22}==,i=4096$/);
    expect(ghost1.first).not.toBe((await run("nobody2")).first);
    expect(ghost1.final).toEqual({ kind: "failure", condition: "not-authorized", username: "nobody" });
    expect(real.final).toEqual({ kind: "failure", condition: "not-authorized", username: "juliet" });
  });

  it("uses the configured fake iterations and salt key", async () => {
    const step = (key: string) =>
      createMechanism(name, lookup, { fakeIterations: 10000, fakeSaltKey: key }).step(b("n,,n=ghost,r=abcdefgh"));
    const [a, again, other] = await Promise.all([step("k1"), step("k1"), step("k2")]);
    expect(text(a)).toMatch(/,i=10000$/);
    expect(text(a).split(",")[1]).toBe(text(again).split(",")[1]);
    expect(text(a).split(",")[1]).not.toBe(text(other).split(",")[1]);
  });
});

describe("SCRAM exchange rules", () => {
  const start = async (first: string, opts = {}) => {
    const server = createMechanism("SCRAM-SHA-256", lookup, { serverNonce: () => "S3rv3rN0nc3", ...opts });
    return { server, step: await server.step(b(first)) };
  };

  it("decodes =2C and =3D in usernames and SASLpreps them", async () => {
    const seen: string[] = [];
    const spy: CredentialLookup = async (name) => (seen.push(name), null);
    await createMechanism("SCRAM-SHA-1", spy).step(b("n,,n=a=2Cb=3Dc,r=abcdefgh"));
    await createMechanism("SCRAM-SHA-1", spy).step(b("n,,n=I\u00adX,r=abcdefgh"));
    expect(seen).toEqual(["a,b=c", "IX"]);
  });

  it("accepts gs2 flag y without channel binding, refuses p and a downgraded y", async () => {
    expect((await start("y,,n=user,r=abcdefgh")).step.kind).toBe("challenge");
    expect(text((await start("p=tls-exporter,,n=user,r=abcdefgh")).step)).toBe("failure:malformed-request");
    const withBinding = { channelBindings: [{ type: "tls-exporter", data: Buffer.alloc(32) }] };
    expect(text((await start("y,,n=user,r=abcdefgh", withBinding)).step)).toBe("failure:not-authorized");
    expect((await start("n,,n=user,r=abcdefgh", withBinding)).step.kind).toBe("challenge");
  });

  it("returns the authzid of the gs2 header", async () => {
    const client = scramClient("SCRAM-SHA-256", "juliet", "r0m30", { gs2Header: "n,a=juliet@example.com,", nonce: "abcdefghij" });
    const server = createMechanism("SCRAM-SHA-256", lookup);
    const final = await server.step(client.final(text(await server.step(client.first()))));
    expect(final).toMatchObject({ kind: "success", username: "juliet", authzid: "juliet@example.com" });
  });

  it("asks for the client-first message with an empty challenge once", async () => {
    const server = createMechanism("SCRAM-SHA-256", lookup);
    expect(await server.step(Buffer.alloc(0))).toEqual({ kind: "challenge", data: Buffer.alloc(0) });
    expect(text(await server.step(Buffer.alloc(0)))).toBe("failure:malformed-request");
  });

  it.each([
    ["c=biws,r=rOprNGfwEbeRWgbNEkqOS3rv3rN0nc3,p=AAAA", "failure:malformed-request"], // short proof
    ["c=biws,r=rOprNGfwEbeRWgbNEkqOS3rv3rN0nc3", "failure:malformed-request"], // no proof
    ["c=biws,r=rOprNGfwEbeRWgbNEkqOS3rv3rN0nc3,p=not base64!", "failure:malformed-request"],
    ["r=rOprNGfwEbeRWgbNEkqOS3rv3rN0nc3,c=biws,p=" + "A".repeat(43) + "=", "failure:malformed-request"],
    ["c=biws,r=rOprNGfwEbeRWgbNEkqOS3rv3rN0nc3,1=x,p=" + "A".repeat(43) + "=", "failure:malformed-request"],
    ["c=eSws,r=rOprNGfwEbeRWgbNEkqOS3rv3rN0nc3,p=" + "A".repeat(43) + "=", "failure:not-authorized"], // c= says "y,"
    ["c=biws,r=rOprNGfwEbeRWgbNEkqOother,p=" + "A".repeat(43) + "=", "failure:not-authorized"], // nonce changed
  ])("judges the client-final message %s", async (final, expected) => {
    const { server } = await start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    expect(text(await server.step(b(final)))).toBe(expected);
    expect(text(await server.step(b(final)))).toBe("failure:malformed-request"); // exchange is over
  });

  it.each([
    "",
    "n,,",
    "x,,n=user,r=abcdefgh", // bad gs2 flag
    "n,a,n=user,r=abcdefgh", // authzid without a=
    "n,,m=ext,n=user,r=abcdefgh", // mandatory extension
    "n,,r=abcdefgh,n=user", // order
    "n,,n=,r=abcdefgh", // empty username
    "n,,n=us=er,r=abcdefgh", // bad escape
    "n,,n=us\0er,r=abcdefgh",
    "n,,n=user,r=short", // nonce too short
    "n,,n=user,r=abc defgh", // nonce outside printable
    `n,,n=user,r=${"a".repeat(257)}`,
    "n,,n=user,r=abcdefgh,bad",
    "n,,n=user\u0007,r=abcdefgh", // SASLprep refuses controls
  ])("refuses the client-first message %j", async (first) => {
    const server = createMechanism("SCRAM-SHA-256", lookup);
    if (first === "") await server.step(Buffer.alloc(0)); // the one empty challenge
    expect(text(await server.step(b(first)))).toBe("failure:malformed-request");
  });

  it("refuses malformed UTF-8", async () => {
    const bad = Buffer.concat([b("n,,n=us"), Buffer.from([0xc3, 0x28]), b(",r=abcdefgh")]);
    expect(text(await createMechanism("SCRAM-SHA-1", lookup).step(bad))).toBe("failure:malformed-request");
  });

  it("accepts optional extensions after the nonce", async () => {
    expect((await start("n,,n=user,r=abcdefgh,x=ext")).step.kind).toBe("challenge");
  });

  it("answers invalid-mechanism for names it does not implement", async () => {
    for (const name of ["SCRAM-SHA-512", "DIGEST-MD5", "plain"]) {
      expect(text(await createMechanism(name, lookup).step(b("x")))).toBe("failure:invalid-mechanism");
    }
  });
});
