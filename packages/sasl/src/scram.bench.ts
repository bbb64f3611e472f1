// Run: node --import tsx packages/sasl/src/scram.bench.ts
// Server-side cost of one full exchange per mechanism (the client's PBKDF2 is done once).
import { scramClient } from "./client.ts";
import { hashPassword } from "./hash-password.ts";
import { createMechanism } from "./mechanism.ts";
import type { ScramName } from "./types.ts";

const creds = hashPassword("r0m30");
const lookup = async () => creds;

async function scramExchange(name: ScramName, n: number): Promise<number> {
  // Fixed nonces make every client-final identical, so it is computed once outside the loop.
  const client = scramClient(name, "juliet", "r0m30", { nonce: "benchclientnonce" });
  const opts = { serverNonce: () => "benchservernonce" };
  const first = await createMechanism(name, lookup, opts).step(client.first());
  const final = client.final(first.kind === "challenge" ? first.data : "");
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const server = createMechanism(name, lookup, opts);
    await server.step(client.first());
    if ((await server.step(final)).kind !== "success") throw new Error("exchange failed");
  }
  return Number(process.hrtime.bigint() - start) / n;
}

async function plainExchange(n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const step = await createMechanism("PLAIN", lookup).step(Buffer.from("\0juliet\0r0m30"));
    if (step.kind !== "success") throw new Error("exchange failed");
  }
  return Number(process.hrtime.bigint() - start) / n;
}

for (const name of ["SCRAM-SHA-1", "SCRAM-SHA-256"] as const) {
  await scramExchange(name, 2000);
  console.log(`${name.padEnd(14)} ${(await scramExchange(name, 20_000)).toFixed(0).padStart(9)} ns/exchange (server)`);
}
console.log(`${"PLAIN".padEnd(14)} ${(await plainExchange(200)).toFixed(0).padStart(9)} ns/exchange (PBKDF2 4096)`);
