// XEP-0198 elements on the stream (urn:xmpp:sm:3): <enable/> (§3), <resume/> (§5), <r/> and <a/>
// (§4), and the router's answers to enable and resume.
import type { SmReply } from "@xmppd/bus";
import { tryParseJid } from "@xmppd/jid";
import { NS_SM, NS_XMPP_STANZAS, parseH, SM_ID, wrapH } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import type { Connection } from "./connection.ts";
import { StreamManagement } from "./sm.ts";
import { topLevelNs } from "./stanza-kind.ts";

export function isSmElement(el: Element): boolean {
  return topLevelNs(el) === NS_SM;
}

/** Offered after authentication, on streams that can be resumed (not BOSH, which has its own acks). */
export function smOffered(conn: Connection): boolean {
  return conn.ctx.config.gateway.streamManagement.enabled && conn.transport.kind !== "bosh";
}

export function handleSmElement(conn: Connection, el: Element): void {
  switch (el.name) {
    case "enable":
      return enable(conn, el);
    case "resume":
      return resume(conn, el);
    case "r":
      if (conn.sm?.phase !== "on") return failed(conn, "unexpected-request");
      return conn.sm.requested();
    case "a": {
      const h = parseH(el.attrs.h);
      if (h === null) return conn.fail("invalid-xml", "<a/> needs h, an integer 0..2^32-1");
      if (conn.sm?.phase !== "on") return;
      // XEP-0198 §4: acknowledging stanzas that were never sent is an error of the stream.
      if (!conn.sm.clientAck(h)) conn.fail("undefined-condition", "h acknowledges more stanzas than were sent");
      return;
    }
    default:
      conn.fail("unsupported-stanza-type", `<${el.name}/> is not an XEP-0198 element`);
  }
}

function enable(conn: Connection, el: Element): void {
  if (!smOffered(conn)) return failed(conn, "feature-not-implemented");
  // §3: only after binding a resource, and once.
  if (conn.jid === null || conn.sm) return failed(conn, "unexpected-request");
  const resume = el.attrs.resume === "true" || el.attrs.resume === "1";
  conn.sm = new StreamManagement(conn, resume);
  if (resume) return void conn.relay({ t: "sm", jid: conn.jid, op: "enable" });
  // Without resumption nothing needs the private tier: counted here, kept nowhere.
  conn.write(xml("enabled", { xmlns: NS_SM }).toString());
  conn.sm.start(null);
}

function resume(conn: Connection, el: Element): void {
  if (!smOffered(conn)) return failed(conn, "feature-not-implemented");
  // §5: after authentication, instead of binding.
  if (conn.user === null || conn.jid !== null || conn.sm) return failed(conn, "unexpected-request");
  const h = parseH(el.attrs.h);
  const previd = el.attrs.previd;
  if (h === null || typeof previd !== "string") return failed(conn, "bad-request");
  if (!SM_ID.test(previd)) {
    conn.ctx.metrics.smResumptions.inc({ result: "failed" });
    return failed(conn, "item-not-found");
  }
  conn.timer.progress();
  conn.sm = new StreamManagement(conn, true);
  conn.relay({ t: "sm", jid: conn.user, op: "resume", id: previd, h });
}

/** The router's answer to <enable resume='true'/> or <resume/>. */
export function onSmReply(conn: Connection, reply: SmReply): void {
  const sm = conn.sm;
  if (reply.op === "replayed") return sm?.replayed(reply.through);
  if (!sm || sm.phase !== "pending") return;
  const resuming = conn.jid === null;
  switch (reply.op) {
    case "enabled":
      conn.write(xml("enabled", { xmlns: NS_SM, id: reply.id, resume: "true", max: String(reply.max) }).toString());
      return sm.start(reply.id);
    case "resumed": {
      const jid = tryParseJid(reply.jid);
      if (!jid || jid.isBare() || jid.bareString() !== conn.user) return conn.fail("internal-server-error", "bad resumed JID from the router");
      conn.jid = jid.toString();
      conn.timer.done();
      conn.ctx.metrics.smResumptions.inc({ result: "success" });
      conn.write(xml("resumed", { xmlns: NS_SM, previd: reply.id, h: String(wrapH(reply.h)) }).toString());
      // Then the stanzas the client never acknowledged, in order (the router sends them numbered).
      return sm.start(reply.id, { handled: reply.h, acked: reply.acked });
    }
    case "failed":
      conn.sm = null;
      if (resuming) conn.ctx.metrics.smResumptions.inc({ result: "failed" });
      return failed(conn, reply.condition, reply.h);
  }
}

function failed(conn: Connection, condition: string, h?: number): void {
  const attrs: Record<string, string> = { xmlns: NS_SM };
  if (h !== undefined) attrs.h = String(wrapH(h));
  conn.write(xml("failed", attrs, xml(condition, { xmlns: NS_XMPP_STANZAS })).toString());
}
