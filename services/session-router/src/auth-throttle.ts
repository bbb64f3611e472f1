// Cluster-wide authentication limits (docs/architecture.md "Limits"), counted in Redis by every router
// (AuthThrottleStore, packages/storage/src/auth-throttle), so failures spread over gateways and
// routers add up:
// - an address with auth.ban.maxFailures failures in the window is banned for banSeconds, like
//   ejabberd's mod_fail2ban: its next attempt gets the stream error <policy-violation/> (RFC 6120
//   §4.9.3.14), which ends the stream instead of inviting an immediate retry as
//   <temporary-auth-failure/> would;
// - the failure answers of one address+account pair are delayed more and more;
// - past accountMaxFailures failures of one account from all addresses, the account may be tried
//   only from addresses that logged in to it before (<temporary-auth-failure/>, RFC 6120 §6.5.12,
//   for the others) until the window ends. Not a lockout: its owner's usual addresses still get
//   in at once, and the cap lifts by itself.
// The address is the gateway's word (its "open" envelope): gateways are trusted with their
// clients' addresses, so a compromised gateway could spread its attempts over made-up ones.
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";

/** Raised from a SASL user lookup: the account is over its cap for this address. */
export class AccountCappedError extends Error {
  override name = "AccountCappedError";
}

const addressOf = (state: ConnState) => state.ip ?? "unknown";

/** Ends the stream of a banned address; true when it did. */
export async function refuseBanned(ctx: RouterContext, state: ConnState): Promise<boolean> {
  const seconds = await ctx.authThrottle.bannedFor(addressOf(state));
  if (seconds === 0) return false;
  ctx.metrics.authThrottle("refused_banned");
  sendToGateway(ctx, state.gw, {
    t: "close", conn: state.conn, condition: "policy-violation",
    text: `too many failed authentications from this address; try again in ${seconds} s`,
  });
  return true;
}

/** True when `account` (a bare JID) may not be tried from this address now. */
export async function isCapped(ctx: RouterContext, state: ConnState, account: string): Promise<boolean> {
  return (await ctx.authThrottle.cappedFor(addressOf(state), account)) > 0;
}

/** Counts a failure (account null: none was named) and holds the answer back as long as it says. */
export async function authFailed(ctx: RouterContext, state: ConnState, account: string | null): Promise<void> {
  let delayMs = 0;
  try {
    const r = await ctx.authThrottle.failed(addressOf(state), account);
    ctx.metrics.authThrottle("failure_counted");
    if (r.banned) {
      ctx.metrics.authThrottle("address_banned");
      ctx.log.warn({ address: addressOf(state), gw: state.gw }, "address banned after too many authentication failures");
    }
    delayMs = r.delayMs;
  } catch (err) {
    // The failure is answered anyway; a Redis away for a moment loses one count, no more.
    ctx.log.warn({ err }, "authentication failure not counted");
  }
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
}

export async function authSucceeded(ctx: RouterContext, state: ConnState, account: string): Promise<void> {
  await ctx.authThrottle.succeeded(addressOf(state), account).catch((err: unknown) => ctx.log.warn({ err }, "login not recorded for the throttle"));
}
