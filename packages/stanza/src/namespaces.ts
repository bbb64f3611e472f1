// XML namespaces used across the server, spelled once.

export const NS_CLIENT = "jabber:client";
export const NS_STREAM = "http://etherx.jabber.org/streams";
export const NS_XMPP_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
export const NS_XMPP_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
export const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
export const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
export const NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session";
export const NS_PING = "urn:xmpp:ping"; // XEP-0199
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"; // XEP-0030
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
export const NS_VERSION = "jabber:iq:version"; // XEP-0092
export const NS_DELAY = "urn:xmpp:delay"; // XEP-0203
export const NS_AMP = "http://jabber.org/protocol/amp"; // XEP-0079
export const NS_AMP_ERRORS = "http://jabber.org/protocol/amp#errors";
export const NS_AMP_FEATURE = "http://jabber.org/features/amp";
