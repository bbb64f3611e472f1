"""A slixmpp client for the end-to-end tests of XEP-0191 and XEP-0280: logs in, enables carbons,
blocks the peer and sends it a message (expecting not-acceptable with <blocked/>), then follows
the test's commands on stdin: "unblock" (unblock the peer), "message" (send the peer a message,
expecting service-unavailable because the peer blocked us), "carbons" (wait for one sent and one
received carbon from our other resource). It prints one JSON line per step ({"event": ...}) and
a final result line ({"result": ...})."""
import asyncio
import json
import ssl
import sys

import slixmpp

BLOCKED = "{jabber:client}error/{urn:xmpp:blocking:errors}blocked"


def say(**line):
    print(json.dumps(line), flush=True)


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, peer):
        super().__init__(jid, password)
        self.peer = peer
        self.result = {"bound": None, "blocklist_before": None, "own_block": None, "their_block": None, "sent_carbon": None, "received_carbon": None, "error": None}
        self.errors = asyncio.Queue()
        self.carbons = asyncio.Queue()
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0191")
        self.register_plugin("xep_0280")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message_error", lambda m: self.errors.put_nowait(m))
        self.add_event_handler("carbon_sent", lambda m: self.carbons.put_nowait(("sent", m["carbon_sent"])))
        self.add_event_handler("carbon_received", lambda m: self.carbons.put_nowait(("received", m["carbon_received"])))
        self.add_event_handler("failed_auth", lambda _: self.finish("auth failed"))

    async def bounced(self, mid):
        msg = await asyncio.wait_for(self.errors.get(), 10)
        while msg["id"] != mid:
            msg = await asyncio.wait_for(self.errors.get(), 10)
        return {"id": msg["id"], "from": str(msg["from"]), "condition": msg["error"]["condition"], "blocked": msg.xml.find(BLOCKED) is not None}

    async def start(self, _):
        try:
            await self.steps()
            self.finish(None)
        except Exception as err:  # the test reads the error from the result line
            self.finish(repr(err))

    async def steps(self):
        self.result["bound"] = str(self.boundjid)
        await self.get_roster()
        self.send_presence()
        await self.plugin["xep_0280"].enable()
        blocked = await self.plugin["xep_0191"].get_blocked()
        self.result["blocklist_before"] = sorted(str(j) for j in blocked["blocklist"]["items"])
        await self.plugin["xep_0191"].block(self.peer)
        msg = self.make_message(mto=self.peer, mbody="you are blocked", mtype="chat")
        msg["id"] = "to-blocked"
        msg.send()
        self.result["own_block"] = await self.bounced("to-blocked")
        say(event="blocked")
        loop = asyncio.get_running_loop()
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if command == "unblock":
                await self.plugin["xep_0191"].unblock(self.peer)
                say(event="unblocked")
            elif command == "message":
                msg = self.make_message(mto=self.peer, mbody="are you there?", mtype="chat")
                msg["id"] = "to-blocker"
                msg.send()
                self.result["their_block"] = await self.bounced("to-blocker")
                say(event="bounced")
            elif command == "carbons":
                say(event="waiting")
                for _ in range(2):
                    kind, inner = await asyncio.wait_for(self.carbons.get(), 10)
                    self.result[f"{kind}_carbon"] = {"from": str(inner["from"]), "to": str(inner["to"]), "body": inner["body"]}
                return
            else:
                raise RuntimeError(f"unknown command {command!r}")

    def finish(self, error):
        self.result["error"] = error
        say(result=self.result)
        self.disconnect()


async def main():
    jid, password, port, peer = sys.argv[1:5]
    xmpp = Peer(jid, password, peer)
    xmpp.connect(("127.0.0.1", int(port)), force_starttls=True, disable_starttls=False)
    try:
        await xmpp.wait_until("disconnected", 60)
    except asyncio.TimeoutError:
        xmpp.result["error"] = "timeout"
        say(result=xmpp.result)


asyncio.run(main())
