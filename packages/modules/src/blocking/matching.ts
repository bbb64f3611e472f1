// XEP-0191 §4 JID matching (as XEP-0016): an item blocks <user@domain/resource> (that resource),
// <user@domain> (any resource), <domain/resource> (that resource) or <domain> (the domain and
// every address at it). Subdomains are not matched: every served domain is its own host here.

/** The forms under which an item in a block list matches `jid` (prepared), most specific first. */
export function matchForms(jid: string): string[] {
  const slash = jid.indexOf("/");
  const bare = slash < 0 ? jid : jid.slice(0, slash);
  const resource = slash < 0 ? null : jid.slice(slash + 1);
  const at = bare.indexOf("@");
  const domain = at < 0 ? bare : bare.slice(at + 1);
  const forms = resource === null ? [bare] : [jid, bare];
  if (at >= 0 && resource !== null) forms.push(`${domain}/${resource}`);
  if (at >= 0) forms.push(domain);
  return forms;
}

/** True when an item of `list` matches `jid` (§4). An empty list, the common case, costs nothing. */
export function isBlocked(list: readonly string[] | null | undefined, jid: string): boolean {
  if (!list || list.length === 0) return false;
  return matchForms(jid).some((f) => list.includes(f));
}
