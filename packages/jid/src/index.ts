export { Jid } from "./jid.ts";
export { JidError, type JidPart } from "./errors.ts";
export { parseJid, tryParseJid } from "./parse.ts";
