"""slixmpp logging in with SCRAM-*-PLUS over STARTTLS or, with "direct-tls", direct TLS (XEP-0368).

slixmpp 1.8.3 implements the -PLUS mechanisms but binds with tls-unique only (the gs2 header is
hard-coded as "p=tls-unique" and the data comes from ssl.SSLObject.get_channel_binding()), a type
that is undefined for TLS 1.3 and that the server does not offer; Python's ssl module has no
keying-material exporter, so tls-exporter is out of reach too. This script therefore keeps
slixmpp's own SCRAM-PLUS code (nonce, GS2 header, cbind-input, proofs, server signature check)
and changes two things: the channel-binding type it names, to tls-server-end-point, and the data
it binds with, to the SHA-256 hash of the server certificate (RFC 5929 §4.1; the certificate is
ECDSA with SHA-256). Prints one JSON line: mechanism, whether TLS is on, the bound JID."""
import asyncio
import hashlib
import json
import ssl
import sys

import slixmpp
from slixmpp.util.sasl import mechanisms as sasl_mechanisms

_client_first = sasl_mechanisms.SCRAM.process_1


def client_first(self, challenge):
    message = _client_first(self, challenge)
    if self.use_channel_binding:
        self.gs2_header = self.gs2_header.replace(b"p=tls-unique,", b"p=tls-server-end-point,", 1)
        message = message.replace(b"p=tls-unique,", b"p=tls-server-end-point,", 1)
    return message


sasl_mechanisms.SCRAM.process_1 = client_first


class Plus(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.result = {"mechanism": None, "tls": False, "bound": None, "error": None}
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        mechanisms = self.plugin["feature_mechanisms"]
        default_credentials = mechanisms.sasl_callback

        def credentials(required, optional):
            result = default_credentials(required, optional)
            if result.get("channel_binding") is not None:
                result["channel_binding"] = hashlib.sha256(self.socket.getpeercert(True)).digest()
            return result

        mechanisms.sasl_callback = credentials
        self.add_event_handler("auth_success", self.on_auth)
        self.add_event_handler("failed_auth", lambda _: self.finish("auth failed"))
        self.add_event_handler("session_start", self.on_session)

    def on_auth(self, _):
        self.result["mechanism"] = self.plugin["feature_mechanisms"].mech.name
        self.result["tls"] = self.transport.get_extra_info("sslcontext") is not None

    def on_session(self, _):
        self.result["bound"] = str(self.boundjid)
        self.finish(None)

    def finish(self, error):
        self.result["error"] = error
        self.disconnect()


async def main():
    jid, password, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    xmpp = Plus(jid, password)
    if sys.argv[4:5] == ["direct-tls"]:
        xmpp.connect(("127.0.0.1", port), use_ssl=True, force_starttls=False, disable_starttls=True)
    else:
        xmpp.connect(("127.0.0.1", port), force_starttls=True, disable_starttls=False)
    try:
        await xmpp.wait_until("disconnected", 25)
    except asyncio.TimeoutError:
        xmpp.result["error"] = xmpp.result["error"] or "timeout"
    print(json.dumps(xmpp.result), flush=True)


asyncio.run(main())
