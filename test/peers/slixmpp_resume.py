"""A slixmpp client with its XEP-0198 plugin for the end-to-end tests: logs in on one gateway
(SCRAM over STARTTLS), enables resumable stream management, drops the TCP connection when the
first message arrives, waits for "go" on stdin, then connects to a second gateway and resumes.
Prints one JSON line per event."""
import asyncio
import json
import ssl
import sys

import slixmpp


def say(**event):
    print(json.dumps(event), flush=True)


class Resumer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, second_port):
        super().__init__(jid, password)
        self.second_port = second_port
        self.dropped = False
        self.done = asyncio.Event()
        self.register_plugin("xep_0198")
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("session_start", lambda _: say(event="bound", jid=str(self.boundjid)))
        self.add_event_handler("sm_enabled", lambda s: say(event="enabled", id=s["id"], resume=str(s["resume"])))
        self.add_event_handler("session_resumed", lambda s: say(event="resumed", h=int(s["h"])))
        self.add_event_handler("sm_failed", lambda _: say(event="failed"))
        self.add_event_handler("message", self.on_message)

    def on_message(self, msg):
        if not msg["body"]:
            return
        say(event="message", body=msg["body"], frm=str(msg["from"]))
        if not self.dropped:
            self.dropped = True
            asyncio.ensure_future(self.drop_and_come_back())
        elif msg["body"] == "last":
            self.done.set()

    async def drop_and_come_back(self):
        await asyncio.sleep(0.3)  # the plugin answers the server's <r/> meanwhile
        self.transport.abort()  # no </stream:stream>: the session stays resumable
        say(event="dropped")
        await asyncio.get_event_loop().run_in_executor(None, sys.stdin.readline)
        self.connect(("127.0.0.1", self.second_port), force_starttls=True, disable_starttls=False)


async def main():
    jid, password, first, second = sys.argv[1:5]
    xmpp = Resumer(jid, password, int(second))
    xmpp.connect(("127.0.0.1", int(first)), force_starttls=True, disable_starttls=False)
    try:
        await asyncio.wait_for(xmpp.done.wait(), 40)
    except asyncio.TimeoutError:
        say(event="timeout")
    xmpp.disconnect()
    await asyncio.sleep(0.5)


asyncio.run(main())
