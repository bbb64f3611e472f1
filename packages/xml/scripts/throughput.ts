// Throughput of StreamParser and parseElement on typical ~300-byte message stanzas.
// Run: node --import tsx packages/xml/scripts/throughput.ts
import { parseElement, StreamParser } from "../src/index.ts";

const header = "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
function stanza(i: number): string {
  return `<message to='juliet@example.com/balcony' from='romeo@example.net/orchard' type='chat' id='msg-${i}-a8f3e2'>` +
    `<body>Wherefore art thou, Romeo? Deny thy father and refuse thy name &amp; be but sworn my love ${i}</body>` +
    `<active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/></message>`;
}
const count = 200_000;
const body = Array.from({ length: 1000 }, (_, i) => stanza(i)).join("");
const chunk = Buffer.from(body);
const stanzaBytes = chunk.length / 1000;

function runStream(): number {
  let got = 0;
  const parser = new StreamParser({
    limits: { maxStanzaBytes: 262_144, maxDepth: 64 },
    onStreamStart() {}, onStanza() { got++; }, onStreamEnd() {},
    onError(err) { throw err; },
  });
  parser.write(header);
  // 4 KiB reads, as a socket would deliver them.
  for (let r = 0; r < count / 1000; r++) {
    for (let o = 0; o < chunk.length; o += 4096) parser.write(chunk.subarray(o, o + 4096));
  }
  return got;
}

function time(label: string, bytes: number, fn: () => unknown): void {
  fn();
  const t0 = process.hrtime.bigint();
  fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label}: ${(bytes / 1e6 / s).toFixed(1)} MB/s (${(count / s / 1000).toFixed(0)}k stanzas/s)`);
}

console.log(`stanza size ${stanzaBytes.toFixed(0)} bytes`);
time("StreamParser", count * stanzaBytes, runStream);
const texts = Array.from({ length: 1000 }, (_, i) => stanza(i));
time("parseElement", count * stanzaBytes, () => {
  for (let r = 0; r < count / 1000; r++) for (const t of texts) parseElement(t);
});
