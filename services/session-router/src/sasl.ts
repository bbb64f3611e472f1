// The SASL exchange, relayed by the gateway step by step (RFC 6120 §6.4). Credentials never
// leave this tier: the gateway only sees challenges, success and failure.
import { tryParseJid } from "@xmppd/jid";
import type { ChannelBinding as WireBinding } from "@xmppd/bus";
import { createMechanism, isPlusMechanism, type ChannelBinding, type SaslStep } from "@xmppd/sasl";
import { NS_SASL } from "@xmppd/stanza";
import { parseElement, type Element } from "@xmppd/xml";
import { logLogin, logLoginFailed } from "./auth-log.ts";
import { AccountCappedError, authFailed, authSucceeded, isCapped, refuseBanned } from "./auth-throttle.ts";
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";
import { establish } from "./identity.ts";
import { decodeSaslData, saslChallenge, saslFailure, saslSuccess } from "./sasl-codec.ts";

/** `cb`: the connection's channel bindings, sent by the gateway with <auth/> when it offers -PLUS. */
export async function handleSasl(ctx: RouterContext, state: ConnState, xmlText: string, cb?: readonly WireBinding[]): Promise<void> {
  let el: Element;
  try {
    el = parseElement(xmlText);
  } catch {
    return fail(ctx, state, "malformed-request");
  }
  if (el.is("auth", NS_SASL)) return start(ctx, state, el, cb ?? []);
  if (el.is("response", NS_SASL)) return respond(ctx, state, el);
  if (el.is("abort", NS_SASL)) {
    // RFC 6120 §6.4.4: the client aborts; the server answers <aborted/>.
    if (state.sasl) ctx.metrics.auth(state.sasl.mechanism, "failure");
    return fail(ctx, state, "aborted");
  }
  return fail(ctx, state, "malformed-request");
}

async function start(ctx: RouterContext, state: ConnState, el: Element, cb: readonly WireBinding[]): Promise<void> {
  const name = String(el.attrs.mechanism ?? "");
  const channelBindings = decodeBindings(cb);
  // RFC 6120 §6.5.5: a mechanism we do not offer; -PLUS is offered only with binding data (TLS).
  if (!(ctx.config.sasl.mechanisms as readonly string[]).includes(name)) return fail(ctx, state, "invalid-mechanism", null, name);
  if (isPlusMechanism(name) && channelBindings.length === 0) return fail(ctx, state, "invalid-mechanism", null, name);
  try {
    if (await refuseBanned(ctx, state)) return;
  } catch (err) {
    ctx.log.error({ err, conn: state.conn }, "authentication throttle unavailable");
    return fail(ctx, state, "temporary-auth-failure", null, name); // RFC 6120 §6.5.12
  }
  const domain = connectionDomain(ctx, state);
  // An unknown user gets a full exchange with a salt derived from a cluster secret, so neither
  // the salt nor the iteration count tells an attacker whether the account exists.
  const machine = createMechanism(name, async (username) => {
    const jid = tryParseJid(`${username}@${domain}`);
    if (!jid?.local) return null;
    // Both reads at once (one wait, not two); a capped account's record is read and not used.
    const [capped, user] = await Promise.all([isCapped(ctx, state, jid.bareString()), ctx.users.get(domain, jid.local)]);
    if (capped) throw new AccountCappedError(jid.bareString());
    return user?.scram ?? null;
  }, { fakeSaltKey: ctx.fakeSaltKey, fakeIterations: ctx.config.scramIterations, channelBindings });
  state.sasl = { mechanism: name, machine };
  return step(ctx, state, el.getText());
}

async function respond(ctx: RouterContext, state: ConnState, el: Element): Promise<void> {
  // A continuation without an exchange: this router took the connection over from a dead one
  // mid-exchange (or the client misbehaves). RFC 6120 §6.5.12: try again.
  if (!state.sasl) return fail(ctx, state, "temporary-auth-failure");
  return step(ctx, state, el.getText());
}

async function step(ctx: RouterContext, state: ConnState, text: string): Promise<void> {
  const sasl = state.sasl!;
  const input = decodeSaslData(text.trim());
  if (!input) {
    ctx.metrics.auth(sasl.mechanism, "failure");
    return fail(ctx, state, "incorrect-encoding"); // RFC 6120 §6.5.2
  }
  let result: SaslStep;
  try {
    result = await sasl.machine.step(input);
  } catch (err) {
    ctx.metrics.auth(sasl.mechanism, "failure");
    if (err instanceof AccountCappedError) {
      // Over the account's cap (auth-throttle.ts): not verified, but counted against the address.
      ctx.metrics.authThrottle("refused_capped");
      await authFailed(ctx, state, null);
      // Logged as the policy it is (not our trouble, as a temporary-auth-failure would be): an
      // address trying a capped account is one fail2ban should count (docs/logging.md).
      logLoginFailed(ctx, state, err.message, sasl.mechanism, "policy-violation");
      return fail(ctx, state, "temporary-auth-failure", "logged"); // RFC 6120 §6.5.12
    }
    ctx.log.error({ err, conn: state.conn }, "SASL step failed");
    return fail(ctx, state, "temporary-auth-failure"); // RFC 6120 §6.5.12
  }
  if (result.kind === "challenge") return void sendToGateway(ctx, state.gw, { t: "sasl", conn: state.conn, xml: saslChallenge(result.data).toString() });
  if (result.kind === "failure") {
    ctx.metrics.auth(sasl.mechanism, "failure");
    const account = result.username === undefined ? null : accountOf(ctx, state, result.username);
    await authFailed(ctx, state, account);
    return fail(ctx, state, result.condition, account);
  }
  return succeed(ctx, state, result);
}

async function succeed(ctx: RouterContext, state: ConnState, result: Extract<SaslStep, { kind: "success" }>): Promise<void> {
  const mechanism = state.sasl!.mechanism;
  const user = tryParseJid(`${result.username}@${connectionDomain(ctx, state)}`);
  // RFC 6120 §6.4.6 / §6.5.6: the only identity one may act as is one's own bare JID.
  const authz = result.authzid ? tryParseJid(result.authzid) : null;
  const authzOk = !result.authzid || (authz !== null && user !== null && authz.isBare() && authz.equals(user));
  if (!user || !authzOk) {
    ctx.metrics.auth(mechanism, "failure");
    await authFailed(ctx, state, user?.bareString() ?? null);
    return fail(ctx, state, user ? "invalid-authzid" : "not-authorized", user?.bareString() ?? accountOf(ctx, state, result.username));
  }
  state.sasl = undefined;
  await authSucceeded(ctx, state, user.bareString());
  // Invariant 3: from now on this connection speaks as this account, whatever a gateway names.
  establish(state, user.toString());
  ctx.metrics.auth(mechanism, "success");
  logLogin(ctx, state, user.bareString(), mechanism);
  sendToGateway(ctx, state.gw, { t: "sasl", conn: state.conn, xml: saslSuccess(result.data).toString(), user: user.toString() });
}

/**
 * Answers <failure/> and logs it (docs/logging.md) with the account as attempted when known
 * (`account` "logged": it was logged already).
 */
function fail(ctx: RouterContext, state: ConnState, condition: string, account: string | null | "logged" = null, mechanism = state.sasl?.mechanism ?? "none"): void {
  if (account !== "logged") logLoginFailed(ctx, state, account, mechanism, condition);
  state.sasl = undefined;
  sendToGateway(ctx, state.gw, { t: "sasl", conn: state.conn, xml: saslFailure(condition).toString(), failed: true });
}

/**
 * The account a failed attempt named, as the throttle counts it: its prepared bare JID, or the
 * raw name when it does not prepare (unknown accounts are counted like known ones, so the
 * answers' delays tell nothing about which exist).
 */
export function accountOf(ctx: RouterContext, state: ConnState, username: string): string {
  const domain = connectionDomain(ctx, state);
  return tryParseJid(`${username}@${domain}`)?.bareString() ?? `${username}@${domain}`;
}

/** Binding data from the gateway; malformed entries are dropped (no -PLUS for them). */
function decodeBindings(cb: readonly WireBinding[]): ChannelBinding[] {
  return cb.filter((b) => typeof b?.type === "string" && typeof b.data === "string" && b.data !== "").map((b) => ({ type: b.type, data: Buffer.from(b.data, "base64") }));
}

/** The domain of the stream ("open" envelope); a connection first seen mid-stream uses the default domain. */
export function connectionDomain(ctx: RouterContext, state: ConnState): string {
  const asked = state.domain ? tryParseJid(state.domain)?.domain : undefined;
  return asked ?? (tryParseJid(ctx.config.domains[0]!)?.domain as string);
}
