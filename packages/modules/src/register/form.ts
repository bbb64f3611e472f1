// XEP-0077 In-Band Registration: the <query xmlns='jabber:iq:register'/> forms, read and built
// here once for both the router's pre-authentication path (new accounts) and the module (password
// change, cancellation). Pure: no storage.
import { tryParseJid } from "@xmppd/jid";
import { NS_REGISTER } from "@xmppd/stanza";
import { xml, type Element } from "@xmppd/xml";

export type RegisterRequest =
  | { kind: "remove" }
  | { kind: "set"; username: string; password: string }
  /** not-acceptable (XEP-0077 §3.1): a required field is missing or its value cannot be used. */
  | { kind: "invalid"; text: string };

/** Longest password accepted: it is hashed twice with PBKDF2 at once. */
const MAX_PASSWORD_CHARS = 1024;

/** The fields a new account needs (XEP-0077 §3.1 example 2). */
export function registrationForm(): Element {
  return xml(
    "query",
    { xmlns: NS_REGISTER },
    xml("instructions", {}, "Choose a username and password for use with this service."),
    xml("username"),
    xml("password"),
  );
}

/** XEP-0077 §3.1 example 3: what an authenticated account is told. */
export function registeredForm(username: string): Element {
  return xml("query", { xmlns: NS_REGISTER }, xml("registered"), xml("username", {}, username));
}

export function parseRegisterQuery(iq: Element): RegisterRequest {
  const query = iq.getChild("query", NS_REGISTER);
  if (!query) return { kind: "invalid", text: "no query" };
  // §3.2: <remove/> cancels; anything beside it is ignored.
  if (query.getChild("remove")) return { kind: "remove" };
  const username = query.getChild("username")?.getText();
  const password = query.getChild("password")?.getText();
  if (!username) return { kind: "invalid", text: "username is required" };
  if (!password) return { kind: "invalid", text: "password is required" };
  if (password.length > MAX_PASSWORD_CHARS) return { kind: "invalid", text: "password is too long" };
  return { kind: "set", username, password };
}

/**
 * The account a username names on `domain`: the localpart prepared with the PRECIS
 * UsernameCaseMapped profile (RFC 7622 §3.3), or null when it cannot be a localpart (empty,
 * '@', '/', or characters the profile refuses).
 */
export function accountFor(username: string, domain: string): { local: string; bare: string } | null {
  if (username === "" || /[@/]/.test(username)) return null;
  const jid = tryParseJid(`${username}@${domain}`);
  if (!jid || !jid.isBare() || jid.local === "") return null;
  return { local: jid.local, bare: jid.bareString() };
}
