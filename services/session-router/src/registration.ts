// XEP-0077 In-Band Registration in the private tier: new accounts before authentication (relayed
// by the gateway, which checked TLS and its per-IP limit), and the capability behind the module
// for password change and cancellation after it. Credentials are hashed here and never leave.
import { logRegistered } from "./auth-log.ts";
import { encode, type AmpWork } from "@xmppd/bus";
import { tryParseJid } from "@xmppd/jid";
import { accountFor, parseRegisterQuery, registrationForm, type RegistrationCapability } from "@xmppd/modules";
import { hashPasswordAsync, type ScramCredentials } from "@xmppd/sasl";
import { errorReply, iqResult } from "@xmppd/stanza";
import { BLOCKLIST_CACHE_TTL_MS, UserExistsError } from "@xmppd/storage";
import type { Element } from "@xmppd/xml";
import type { ConnState } from "./connections.ts";
import { sendToGateway, type RouterContext } from "./context.ts";
import { rosterRemoved } from "./presence-subscription.ts";
import { connectionDomain } from "./sasl.ts";

type Outcome = "created" | "conflict" | "not-acceptable" | "password-changed" | "removed" | "not-allowed";

function count(ctx: RouterContext, result: Outcome): void {
  ctx.metrics.registration(result);
}

/** A registration IQ before authentication; answered with a "preauth" reply. */
export async function handleRegistration(ctx: RouterContext, state: ConnState, iq: Element): Promise<void> {
  const answer = (reply: Element | null) => reply && sendToGateway(ctx, state.gw, { t: "preauth", conn: state.conn, xml: reply.toString() });
  if (!ctx.config.registration.enabled) {
    count(ctx, "not-allowed");
    return void answer(errorReply(iq, "not-allowed", { text: "In-band registration is disabled" }));
  }
  // XEP-0077 §3.1: a get asks which fields to fill in.
  if (iq.attrs.type === "get") return void answer(iqResult(iq, registrationForm()));
  if (iq.attrs.type !== "set") return void answer(errorReply(iq, "bad-request"));
  const request = parseRegisterQuery(iq);
  // §3.2: cancelling needs an account, i.e. authentication first.
  if (request.kind === "remove") return void answer(errorReply(iq, "not-authorized", { text: "Authenticate first" }));
  const outcome = request.kind === "invalid" ? { condition: "not-acceptable" as const, text: request.text } : await create(ctx, state, request.username, request.password);
  count(ctx, outcome ? outcome.condition : "created");
  answer(outcome ? errorReply(iq, outcome.condition, { text: outcome.text }) : iqResult(iq));
}

async function create(ctx: RouterContext, state: ConnState, username: string, password: string): Promise<{ condition: "conflict" | "not-acceptable"; text: string } | null> {
  const domain = connectionDomain(ctx, state);
  // RFC 7622 §3.3: the username must be a localpart (PRECIS UsernameCaseMapped).
  const account = accountFor(username, domain);
  if (!account) return { condition: "not-acceptable", text: "The username is not a valid JID localpart" };
  const scram = await credentialsFor(ctx, password);
  if (!scram) return { condition: "not-acceptable", text: "The password cannot be used" };
  try {
    await ctx.users.create({ domain, username: account.local, scram });
  } catch (err) {
    // §3.1: the username is taken.
    if (err instanceof UserExistsError) return { condition: "conflict", text: "The username is taken" };
    throw err;
  }
  logRegistered(ctx, state, account.bare);
  return null;
}

/** SCRAM credentials, or null when SASLprep refuses the password (RFC 5802 §2.2). */
async function credentialsFor(ctx: RouterContext, password: string): Promise<ScramCredentials | null> {
  try {
    return await hashPasswordAsync(password, { iterations: ctx.config.scramIterations });
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

/** What the register module may do to the requesting account (XEP-0077 §3.2, §3.3). */
export function registrationCapability(ctx: () => RouterContext): RegistrationCapability {
  return {
    async changePassword(bare, password) {
      const c = ctx();
      const jid = tryParseJid(bare)!;
      const scram = await credentialsFor(c, password);
      if (!scram) return "not-acceptable";
      await c.users.setCredentials(jid.domain, jid.local, scram);
      count(c, "password-changed");
      return "changed";
    },
    async remove(bare) {
      const c = ctx();
      const jid = tryParseJid(bare)!;
      const { items } = await c.rosters.get(bare);
      await c.users.delete(jid.domain, jid.local);
      // As if each item had been removed (RFC 6121 §2.5.2): the contacts' subscriptions to and
      // from the account end, with roster pushes and its unavailable presence, so none of them
      // goes on sending presence to a new account of the same name.
      for (const item of items) await rosterRemoved(c, bare, item);
      // Its stored messages are the AMP worker's (in their own database, maybe): they go through
      // its queue, after whatever is queued for the account there.
      await c.work.publish(c.ampQueue.subject("removed", bare), encode({ t: "removed", jid: bare } satisfies AmpWork));
      // The routers' Redis copy of the block list must not outlive the account (nor apply to a
      // new account of the same name): the emptied list, at its raised version, replaces it.
      if (c.blocklists) await c.sessions.cacheBlocklist(bare, await c.blocklists.get(bare), BLOCKLIST_CACHE_TTL_MS);
      count(c, "removed");
      c.log.info({ account: bare }, "account cancelled in-band");
      const sessions = await c.sessions.get(bare);
      // After the host has sent the result to the requester (the same tick's reply goes first on
      // the gateway's subject): every session of the account ends, with not-authorized.
      setImmediate(() => {
        for (const s of sessions) sendToGateway(c, s.gateway, { t: "close", conn: s.conn, condition: "not-authorized", text: "The account has been removed" });
      });
    },
  };
}
