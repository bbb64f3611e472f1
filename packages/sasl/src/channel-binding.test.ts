import { describe, expect, it } from "vitest";
import { expectedCbindInput } from "./channel-binding.ts";
import { scramClient } from "./client.ts";
import { hashPassword } from "./hash-password.ts";
import { createMechanism } from "./mechanism.ts";
import { parseClientFirst } from "./scram-messages.ts";
import type { SaslStep } from "./types.ts";

const b = (text: string) => Buffer.from(text);
const text = (step: SaslStep) => (step.kind === "failure" ? `failure:${step.condition}` : (step.data?.toString() ?? ""));
const exporter = { type: "tls-exporter", data: Buffer.alloc(32, 0xab) };
const endPoint = { type: "tls-server-end-point", data: Buffer.alloc(32, 0xcd) };
const offered = [exporter, endPoint];
const condition = (fn: () => unknown) => {
  try {
    fn();
    return "ok";
  } catch (err) {
    return (err as { condition?: string }).condition;
  }
};

describe("GS2 header parsing (RFC 5802 §7)", () => {
  it.each([
    ["n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", { gs2Header: "n,,", cbindFlag: "n" }], // RFC 5802 §5 example
    ["y,,n=user,r=abcdefgh", { gs2Header: "y,,", cbindFlag: "y" }],
    ["p=tls-exporter,,n=user,r=abcdefgh", { gs2Header: "p=tls-exporter,,", cbindFlag: "p", cbName: "tls-exporter" }],
    ["p=tls-server-end-point,a=user@example.com,n=user,r=abcdefgh", { gs2Header: "p=tls-server-end-point,a=user@example.com,", cbindFlag: "p", cbName: "tls-server-end-point", authzid: "user@example.com" }],
  ])("parses %j", (first, expected) => {
    expect(parseClientFirst(b(first))).toMatchObject(expected);
  });

  it.each(["p=,,n=user,r=abcdefgh", "p=tls_exporter,,n=user,r=abcdefgh", "P=tls-exporter,,n=user,r=abcdefgh"])("refuses the cb-name of %j", (first) => {
    expect(condition(() => parseClientFirst(b(first)))).toBe("malformed-request");
  });
});

describe("cbind-input (RFC 5802 §7, RFC 9266 §3, RFC 5929 §4)", () => {
  it("is the bare gs2-header without binding: c=biws for n,, and c=eSws for y,, (RFC 5802 §5)", () => {
    expect(expectedCbindInput(parseClientFirst(b("n,,n=user,r=abcdefgh")), false).toString("base64")).toBe("biws");
    expect(expectedCbindInput(parseClientFirst(b("y,,n=user,r=abcdefgh")), false).toString("base64")).toBe("eSws");
  });

  it("appends the data of the chosen type after the gs2-header", () => {
    const first = parseClientFirst(b("p=tls-exporter,,n=user,r=abcdefgh"));
    expect(expectedCbindInput(first, true, offered)).toEqual(Buffer.concat([b("p=tls-exporter,,"), exporter.data]));
    const second = parseClientFirst(b("p=tls-server-end-point,,n=user,r=abcdefgh"));
    expect(expectedCbindInput(second, true, offered)).toEqual(Buffer.concat([b("p=tls-server-end-point,,"), endPoint.data]));
  });

  it.each([
    ["p=tls-exporter,,n=user,r=abcdefgh", false, offered, "malformed-request"], // p under a plain mechanism
    ["p=tls-unique,,n=user,r=abcdefgh", true, offered, "malformed-request"], // a type we do not offer
    ["p=tls-exporter,,n=user,r=abcdefgh", true, [endPoint], "malformed-request"], // not on this connection (TLS 1.2)
    ["n,,n=user,r=abcdefgh", true, offered, "malformed-request"], // -PLUS without binding
    ["y,,n=user,r=abcdefgh", true, offered, "malformed-request"],
    ["y,,n=user,r=abcdefgh", false, offered, "not-authorized"], // downgrade: we advertised -PLUS
    ["y,,n=user,r=abcdefgh", false, [], "ok"], // no -PLUS offered: "y" is honest
    ["n,,n=user,r=abcdefgh", false, offered, "ok"],
  ] as const)("judges %s (PLUS %s)", (first, isPlus, bindings, expected) => {
    expect(condition(() => expectedCbindInput(parseClientFirst(b(first)), isPlus, bindings))).toBe(expected);
  });
});

describe.each(["SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"] as const)("%s server", (name) => {
  const plain = name.slice(0, -5) as "SCRAM-SHA-1" | "SCRAM-SHA-256";
  const users = new Map([["juliet", hashPassword("r0m30")]]);
  const lookup = async (user: string) => users.get(user) ?? null;

  it.each([exporter, endPoint])("authenticates a client bound with %o", async (binding) => {
    const client = scramClient(plain, "juliet", "r0m30", { gs2Header: `p=${binding.type},,`, cbindData: binding.data });
    const server = createMechanism(name, lookup, { channelBindings: offered });
    const final = await server.step(client.final(text(await server.step(client.first()))));
    expect(final.kind).toBe("success");
    expect(client.verify(text(final))).toBe(true);
  });

  it("fails data from another channel with not-authorized", async () => {
    const client = scramClient(plain, "juliet", "r0m30", { gs2Header: "p=tls-exporter,,", cbindData: Buffer.alloc(32, 1) });
    const server = createMechanism(name, lookup, { channelBindings: offered });
    expect(text(await server.step(client.final(text(await server.step(client.first())))))).toBe("failure:not-authorized");
  });

  it("fails a client-final that leaves the binding data out with not-authorized", async () => {
    const client = scramClient(plain, "juliet", "r0m30", { gs2Header: "p=tls-exporter,," });
    const server = createMechanism(name, lookup, { channelBindings: offered });
    expect(text(await server.step(client.final(text(await server.step(client.first())))))).toBe("failure:not-authorized");
  });

  it("refuses to run without binding data (no TLS) with malformed-request", async () => {
    expect(text(await createMechanism(name, lookup).step(b("p=tls-exporter,,n=juliet,r=abcdefgh")))).toBe("failure:malformed-request");
  });
});
