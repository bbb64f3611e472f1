"""XEP-0077 after authentication with slixmpp's xep_0077 plugin: logs in (SCRAM over STARTTLS)
and changes the account's password ("change NEW") or cancels the registration ("cancel").
Prints one JSON line: the SASL mechanism, the outcome ("ok" or the error condition) and the
stream error the server then sent, if any. (slixmpp 1.8.3 cannot register *before*
authentication: it queues every stanza but bind and session until the session starts, so the
tests register new accounts with raw XML.)"""
import asyncio
import json
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout


class Account(slixmpp.ClientXMPP):
    def __init__(self, jid, password, action):
        super().__init__(jid, password)
        self.action = action
        self.result = {"mechanism": None, "outcome": None, "stream_error": None}
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0077")
        self.add_event_handler("auth_success", self.on_auth)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("failed_auth", lambda _: self.finish("auth failed"))

    def on_auth(self, _):
        self.result["mechanism"] = self.plugin["feature_mechanisms"].mech.name

    def on_stream_error(self, error):
        self.result["stream_error"] = error["condition"]

    async def start(self, _):
        try:
            if self.action[0] == "cancel":
                await self.plugin["xep_0077"].cancel_registration(timeout=10)
            else:
                await self.plugin["xep_0077"].change_password(self.action[1], timeout=10)
            self.result["outcome"] = "ok"
        except IqError as err:
            self.result["outcome"] = err.iq["error"]["condition"]
        except IqTimeout:
            self.result["outcome"] = "timeout"
        # After a cancellation the server ends the stream itself.
        if self.action[0] != "cancel":
            self.disconnect()

    def finish(self, outcome):
        self.result["outcome"] = outcome
        self.disconnect()


async def main():
    jid, password, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    xmpp = Account(jid, password, sys.argv[4:6])
    xmpp.connect(("127.0.0.1", port), force_starttls=True, disable_starttls=False)
    try:
        await xmpp.wait_until("disconnected", 25)
    except asyncio.TimeoutError:
        xmpp.result["outcome"] = xmpp.result["outcome"] or "timeout"
    print(json.dumps(xmpp.result), flush=True)


asyncio.run(main())
