// Run: node --import tsx packages/jid/src/parse.bench.ts
// Prints ns per parseJid call for a few typical JIDs.
import { parseJid } from "./parse.ts";

const samples: Record<string, string> = {
  "ascii full": "Juliet@Example.com/balcony-1234",
  "ascii bare": "romeo@montague.example",
  "unicode local + IDN domain": "Jüliet@ÄÖÜ.example/Tablet",
  "fullwidth local": "ＪＵＬＩＥＴ@example.com/phone",
};

function measure(text: string, iterations: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += parseJid(text).local.length;
  const elapsed = Number(process.hrtime.bigint() - start);
  if (sink < 0) console.log(sink);
  return elapsed / iterations;
}

for (const [label, text] of Object.entries(samples)) {
  measure(text, 20_000); // warm-up
  console.log(`${label.padEnd(28)} ${measure(text, 200_000).toFixed(0).padStart(6)} ns/op  ${text}`);
}
