// The log lines an operator (and fail2ban, deploy/fail2ban/) reads about logins, in the shape
// docs/logging.md fixes: `event` first, then `ip`, so that nothing a client chose (an account
// name) comes before the address a filter takes. The address is the gateway's word ("open"
// envelope, docs/security-router-trust.md): `ipReportedBy` names that gateway.
import type { ConnState } from "./connections.ts";
import type { RouterContext } from "./context.ts";

function where(state: ConnState) {
  return { ip: state.ip ?? "unknown", ipReportedBy: state.gw, transport: state.transport ?? "unknown", conn: state.conn };
}

/** Authenticated (SASL success, or XEP-0078 before its bind): `jid` is the bare JID. */
export function logLogin(ctx: RouterContext, state: ConnState, jid: string, mechanism: string): void {
  state.authMechanism = mechanism;
  const { ip, ...rest } = where(state);
  ctx.log.info({ event: "login", ip, jid, mechanism, ...rest }, "login");
}

/** `account`: the bare JID as attempted (null when the client named none). */
export function logLoginFailed(ctx: RouterContext, state: ConnState, account: string | null, mechanism: string, condition: string): void {
  const { ip, ...rest } = where(state);
  ctx.log.info({ event: "login.failed", ip, mechanism, condition, ...rest, account }, "login failed");
}

/** The resource is bound: the session's full JID. */
export function logBound(ctx: RouterContext, state: ConnState, jid: string): void {
  const { ip, ...rest } = where(state);
  ctx.log.info({ event: "session.bound", ip, jid, mechanism: state.authMechanism ?? "unknown", ...rest }, "session bound");
}

/** An account created by XEP-0077 in-band registration (admin registrations: the admin endpoint). */
export function logRegistered(ctx: RouterContext, state: ConnState, jid: string): void {
  const { ip, ...rest } = where(state);
  ctx.log.info({ event: "registration", ip, jid, via: "in-band", ...rest }, "account registered");
}
