"""A slixmpp client for the end-to-end tests: logs in (SCRAM over STARTTLS), fetches its roster,
asks the peer for a subscription, lets slixmpp approve the peer's own request (its default
auto_authorize), and prints one JSON line once the roster shows subscription 'both' with no
request pending and the peer's available presence has arrived (or what it has after 15 s)."""
import asyncio
import json
import ssl
import sys

import slixmpp


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, peer):
        super().__init__(jid, password)
        self.peer = peer
        self.result = {"bound": None, "subscription": None, "ask": None, "presence_from": None, "status": None, "error": None}
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("presence_available", self.on_available)
        self.add_event_handler("failed_auth", lambda _: self.finish("auth failed"))

    async def start(self, _):
        self.result["bound"] = str(self.boundjid)
        await self.get_roster()
        self.send_presence(pstatus="from python")
        self.send_presence_subscription(pto=self.peer)
        for _ in range(150):
            item = self.client_roster[self.peer]
            self.result["subscription"] = item["subscription"]
            self.result["ask"] = item["pending_out"]
            # The roster as it settles: a push may still be on its way when 'both' first shows.
            if item["subscription"] == "both" and not item["pending_out"] and self.result["presence_from"]:
                return self.finish(None)
            await asyncio.sleep(0.1)
        self.finish("timeout")

    def on_available(self, pres):
        if pres["from"].bare == self.peer:
            self.result["presence_from"] = str(pres["from"])
            self.result["status"] = pres["status"]

    def finish(self, error):
        self.result["error"] = error
        print(json.dumps(self.result), flush=True)
        self.disconnect()


async def main():
    jid, password, port, peer = sys.argv[1:5]
    xmpp = Peer(jid, password, peer)
    xmpp.connect(("127.0.0.1", int(port)), force_starttls=True, disable_starttls=False)
    try:
        await xmpp.wait_until("disconnected", 30)
    except asyncio.TimeoutError:
        xmpp.result["error"] = "timeout"
        print(json.dumps(xmpp.result), flush=True)


asyncio.run(main())
