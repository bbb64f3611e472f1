// XEP-0078 Non-SASL Authentication (obsolete; off unless legacyAuth.enabled). Only the
// plaintext `password` method: `digest` needs SHA1(stream id + password), which cannot be
// computed from SCRAM credentials (salted, iterated hashes), and plaintext passwords are never
// stored. The password is checked like SASL PLAIN and, on success, the resource is bound in the
// same step (§2.2). Failures count toward the stream's and the IP's authentication limits.
import { createMechanism } from "@xmppd/sasl";
import { NS_IQ_AUTH, errorReply, iqResult } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";
import { accountFor } from "@xmppd/modules";
import { parseJid } from "@xmppd/jid";
import { handleBind } from "./bind.ts";
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";
import { connectionDomain } from "./sasl.ts";
import { authFailed, authSucceeded, isCapped, refuseBanned } from "./auth-throttle.ts";
import { logLogin, logLoginFailed } from "./auth-log.ts";

const MECHANISM = "legacy-password"; // the metrics label (xmpp_router_auth_total{mechanism})

export async function handleLegacyAuth(ctx: RouterContext, state: ConnState, iq: Element): Promise<void> {
  const answer = (reply: Element | null, failed = false) =>
    reply && sendToGateway(ctx, state.gw, { t: "preauth", conn: state.conn, xml: reply.toString(), ...(failed ? { failed } : {}) });
  if (!ctx.config.legacyAuth.enabled) return void answer(errorReply(iq, "service-unavailable"));
  const query = iq.getChild("query", NS_IQ_AUTH)!;
  // §2.1: the fields; no <digest/> (see above).
  if (iq.attrs.type === "get") {
    return void answer(iqResult(iq, xml("query", { xmlns: NS_IQ_AUTH }, xml("username"), xml("password"), xml("resource"))));
  }
  if (iq.attrs.type !== "set") return void answer(errorReply(iq, "bad-request"));
  const username = query.getChildText("username") ?? "";
  const password = query.getChildText("password") ?? "";
  const resource = query.getChildText("resource") ?? "";
  // §2.3 (example 7): a required field is missing, or digest instead of password.
  if (!username || !password || !resource) return void answer(errorReply(iq, "not-acceptable", { text: "username, password and resource are required" }));
  if (await refuseBanned(ctx, state)) return;
  const domain = connectionDomain(ctx, state);
  const account = accountFor(username, domain);
  // Over the account's cap for this address (auth-throttle.ts): try later (RFC 6120 §8.3.3.12).
  if (account && (await isCapped(ctx, state, account.bare))) {
    logLoginFailed(ctx, state, account.bare, MECHANISM, "policy-violation");
    return void answer(errorReply(iq, "policy-violation", { type: "wait" }), true);
  }
  if (!account || !(await passwordMatches(ctx, account.local, domain, password))) {
    ctx.metrics.auth(MECHANISM, "failure");
    await authFailed(ctx, state, account?.bare ?? `${username}@${domain}`);
    logLoginFailed(ctx, state, account?.bare ?? `${username}@${domain}`, MECHANISM, "not-authorized");
    // §2.3 (example 6): wrong credentials.
    return void answer(errorReply(iq, "not-authorized"), true);
  }
  ctx.metrics.auth(MECHANISM, "success");
  await authSucceeded(ctx, state, account.bare);
  logLogin(ctx, state, account.bare, MECHANISM);
  await handleBind(ctx, state, parseJid(account.bare), iq, { resource });
}

/** The PLAIN verifier: same key derivation for unknown users, so timing tells nothing. */
async function passwordMatches(ctx: RouterContext, local: string, domain: string, password: string): Promise<boolean> {
  const plain = createMechanism("PLAIN", async () => (await ctx.users.get(domain, local))?.scram ?? null, {
    fakeSaltKey: ctx.fakeSaltKey, fakeIterations: ctx.config.scramIterations,
  });
  const step = await plain.step(Buffer.from(`\0${local}\0${password}`));
  return step.kind === "success";
}
