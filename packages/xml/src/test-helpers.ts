// Shared by the tests of this package: a StreamParser that records what it emits.
import type { Element } from "@xmpp/xml";
import type { XmlStreamError } from "./errors.ts";
import type { XmlLimits } from "./limits.ts";
import { StreamParser } from "./stream-parser.ts";

export const HEADER =
  "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

export interface Recorder {
  parser: StreamParser;
  starts: Record<string, string>[];
  stanzas: Element[];
  ends: number;
  errors: XmlStreamError[];
}

export function record(limits: XmlLimits = { maxStanzaBytes: 65_536, maxDepth: 64 }): Recorder {
  const rec: Recorder = {
    parser: undefined as unknown as StreamParser, starts: [], stanzas: [], ends: 0, errors: [],
  };
  rec.parser = new StreamParser({
    limits,
    onStreamStart: (attrs) => rec.starts.push(attrs),
    onStanza: (el) => rec.stanzas.push(el),
    onStreamEnd: () => rec.ends++,
    onError: (err) => rec.errors.push(err),
  });
  return rec;
}

/** Feeds a stream header then `body`, returning the single error's condition (or "none"). */
export function conditionOf(body: string, limits?: XmlLimits): string {
  const rec = record(limits);
  rec.parser.write(HEADER + body);
  if (rec.errors.length > 1) throw new Error("onError called more than once");
  return rec.errors[0]?.condition ?? "none";
}
