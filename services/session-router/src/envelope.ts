// Checks the shape of an envelope from a gateway before anything uses its ids (a bad gateway id
// would otherwise fail later, when building the subject of a reply).
import type { ToRouter } from "@xmppd/bus";

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isToRouter(v: unknown): v is ToRouter {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  if (typeof e.gw !== "string" || !ID.test(e.gw) || typeof e.conn !== "string" || e.conn === "") return false;
  if (typeof e.seq !== "number" || !Number.isSafeInteger(e.seq)) return false;
  switch (e.t) {
    case "open":
      return typeof e.domain === "string";
    case "sasl":
      return typeof e.xml === "string" && (e.cb === undefined || (Array.isArray(e.cb) && e.cb.every(isBinding)));
    case "preauth":
      return typeof e.xml === "string";
    case "stanza":
      return typeof e.xml === "string" && typeof e.jid === "string";
    case "closed":
      return e.jid === undefined || typeof e.jid === "string";
    case "sm":
      return typeof e.jid === "string" && isSmRequest(e);
    case "rereg":
      return typeof e.jid === "string" && typeof e.epoch === "string" && (e.sm === undefined || isSmHeld(e.sm));
    default:
      return false;
  }
}

function isBinding(v: unknown): boolean {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string" && typeof (v as { data?: unknown }).data === "string";
}

/** XEP-0198 requests (bus SmRequest): numbers are what the gateway computed, checked anyway. */
function isSmRequest(e: Record<string, unknown>): boolean {
  const count = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  switch (e.op) {
    case "enable":
      return true;
    case "resume":
      return typeof e.id === "string" && count(e.h);
    case "ack":
      return count(e.upTo);
    case "seq":
      return typeof e.xml === "string";
    case "replay":
      return count(e.after);
    default:
      return false;
  }
}

/** A gateway's XEP-0198 state in a re-registration (bus SmHeld); its contents are checked in reregister.ts. */
function isSmHeld(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  const h = v as Record<string, unknown>;
  const count = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  return typeof h.id === "string" && count(h.handled) && count(h.acked) && Array.isArray(h.items) &&
    h.items.every((i: unknown) => typeof i === "object" && i !== null && count((i as { seq?: unknown }).seq) && typeof (i as { xml?: unknown }).xml === "string");
}
