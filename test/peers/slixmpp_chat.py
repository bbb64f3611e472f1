"""A slixmpp client for the end-to-end tests: logs in (SCRAM over STARTTLS, or over direct TLS
(XEP-0368) when the optional sixth argument is "direct-tls"), sends one chat message, waits for
a reply and prints one JSON line describing what happened."""
import asyncio
import json
import ssl
import sys

import slixmpp


class Chat(slixmpp.ClientXMPP):
    def __init__(self, jid, password, peer, body):
        super().__init__(jid, password)
        self.peer, self.body = peer, body
        self.result = {"mechanism": None, "tls": False, "bound": None, "reply": None, "reply_from": None}
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", lambda _: self.finish("auth failed"))
        self.add_event_handler("auth_success", self.on_auth)

    def on_auth(self, _):
        self.result["mechanism"] = self.plugin["feature_mechanisms"].mech.name
        # Only a TLS transport has a peer certificate.
        self.result["tls"] = self.transport.get_extra_info("sslcontext") is not None

    async def start(self, _):
        self.result["bound"] = str(self.boundjid)
        self.send_presence()
        self.send_message(mto=self.peer, mbody=self.body, mtype="chat")

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            self.result["reply"] = msg["body"]
            self.result["reply_from"] = str(msg["from"])
            self.finish(None)

    def finish(self, error):
        self.result["error"] = error
        print(json.dumps(self.result), flush=True)
        self.disconnect()


async def main():
    jid, password, port, peer, body = sys.argv[1:6]
    xmpp = Chat(jid, password, peer, body)
    if sys.argv[6:7] == ["direct-tls"]:
        xmpp.connect(("127.0.0.1", int(port)), use_ssl=True, force_starttls=False, disable_starttls=True)
    else:
        xmpp.connect(("127.0.0.1", int(port)), force_starttls=True, disable_starttls=False)
    try:
        await xmpp.wait_until("disconnected", 25)
    except asyncio.TimeoutError:
        xmpp.result["error"] = "timeout"
        print(json.dumps(xmpp.result), flush=True)


asyncio.run(main())
