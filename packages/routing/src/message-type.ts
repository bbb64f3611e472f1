import type { Element } from "@xmppd/xml";
import { normalType } from "./decide.ts";

/** The type of a <message/>: RFC 6121 §5.2.2 treats a missing or unknown type as "normal". */
export function messageType(el: Element): string {
  return normalType(el.attrs.type as string | undefined);
}
