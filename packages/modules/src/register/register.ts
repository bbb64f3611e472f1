// XEP-0077 In-Band Registration after authentication: the account's own registration (§3.1
// example 3), password change (§3.3) and cancellation (§3.2). New accounts are registered before
// authentication, by the router's pre-authentication path, with the same forms (form.ts).
import { NS_REGISTER, errorReply, iqResult } from "@xmppd/stanza";
import type { Element } from "@xmppd/xml";
import type { IqContext, XmppModule } from "../host/types.ts";
import { accountFor, parseRegisterQuery, registeredForm } from "./form.ts";

export interface RegistrationCapability {
  /** Replaces the account's credentials; "not-acceptable" when the password cannot be used (SASLprep). */
  changePassword(bare: string, password: string): Promise<"changed" | "not-acceptable">;
  /** Deletes the account and its data and ends its sessions, after the reply has gone out. */
  remove(bare: string): Promise<void>;
}

const bareOf = (full: string) => full.split("/")[0]!;
const localOf = (bare: string) => bare.slice(0, bare.lastIndexOf("@"));

export const register: XmppModule = {
  name: "register",
  xeps: ["XEP-0077"],
  setup: (ctx) => {
    const cap = ctx.capabilities.registration;
    // Registration disabled: every request is refused with not-allowed, and nothing is announced.
    const disabled = (iq: Element) => errorReply(iq, "not-allowed", { text: "In-band registration is disabled" });
    if (!cap) {
      return {
        iq: [
          { type: "get", xmlns: NS_REGISTER, name: "query", handler: disabled },
          { type: "set", xmlns: NS_REGISTER, name: "query", handler: disabled },
        ],
      };
    }
    return {
      iq: [
        { type: "get", xmlns: NS_REGISTER, name: "query", handler: (iq, ictx) => ownServer(iq, ictx) ?? iqResult(iq, registeredForm(localOf(bareOf(ictx.from)))) },
        { type: "set", xmlns: NS_REGISTER, name: "query", handler: (iq, ictx) => ownServer(iq, ictx) ?? change(cap, iq, ictx) },
      ],
      discoFeatures: [NS_REGISTER],
      accountDiscoFeatures: [NS_REGISTER],
    };
  },
};

/** Only the server manages its accounts; an IQ to another account is not ours to answer. */
function ownServer(iq: Element, ictx: IqContext): Element | null {
  if (ictx.isServer || ictx.entity === bareOf(ictx.from)) return null;
  return errorReply(iq, "service-unavailable");
}

async function change(cap: RegistrationCapability, iq: Element, ictx: IqContext): Promise<Element | null> {
  const own = bareOf(ictx.from);
  const request = parseRegisterQuery(iq);
  if (request.kind === "invalid") return errorReply(iq, "not-acceptable", { text: request.text });
  if (request.kind === "remove") {
    await cap.remove(own);
    return iqResult(iq);
  }
  // §3.3: the username names the account itself; a change for anyone else is refused.
  const domain = own.slice(own.lastIndexOf("@") + 1);
  if (accountFor(request.username, domain)?.bare !== own) return errorReply(iq, "not-allowed", { text: "You can change only your own password" });
  if ((await cap.changePassword(own, request.password)) === "not-acceptable") {
    return errorReply(iq, "not-acceptable", { text: "The password cannot be used" });
  }
  return iqResult(iq);
}
