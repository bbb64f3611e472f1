"""A slixmpp client the end-to-end tests steer line by line: it logs in (direct TLS, XEP-0368,
when the fourth argument is "direct-tls"; else STARTTLS), sends available presence and prints
one JSON line per event on stdout: {"event": "online", "jid", "mechanism", "tls"} once bound,
then {"event": "message", "from", "to", "type", "id", "body"} for each message it receives.
Each stdin line is a JSON command: {"send": {"to", "body", "id"}} sends a chat message;
{"quit": true} (or the end of stdin) disconnects. It gives up after 90 seconds."""
import asyncio
import json
import ssl
import sys

import slixmpp


def emit(event):
    print(json.dumps(event), flush=True)


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.mechanism = None
        # The gateways use a generated self-signed certificate in tests.
        self.ssl_context = ssl.create_default_context()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("auth_success", self.on_auth)
        self.add_event_handler("failed_auth", lambda _: emit({"event": "error", "error": "auth failed"}))
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.on_message)

    def on_auth(self, _):
        self.mechanism = self.plugin["feature_mechanisms"].mech.name

    async def start(self, _):
        self.send_presence()
        tls = self.transport.get_extra_info("sslcontext") is not None
        emit({"event": "online", "jid": str(self.boundjid), "mechanism": self.mechanism, "tls": tls})

    def on_message(self, msg):
        emit({"event": "message", "from": str(msg["from"]), "to": str(msg["to"]), "type": msg["type"], "id": msg["id"], "body": msg["body"]})


async def commands(xmpp):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if "send" in command:
            send = command["send"]
            msg = xmpp.make_message(mto=send["to"], mbody=send["body"], mtype="chat")
            msg["id"] = send["id"]
            msg.send()
        if command.get("quit"):
            break
    xmpp.disconnect()


async def main():
    jid, password, port = sys.argv[1:4]
    xmpp = Peer(jid, password)
    if sys.argv[4:5] == ["direct-tls"]:
        xmpp.connect(("127.0.0.1", int(port)), use_ssl=True, force_starttls=False, disable_starttls=True)
    else:
        xmpp.connect(("127.0.0.1", int(port)), force_starttls=True, disable_starttls=False)
    steering = asyncio.ensure_future(commands(xmpp))
    try:
        await xmpp.wait_until("disconnected", 90)
    except asyncio.TimeoutError:
        emit({"event": "error", "error": "timeout"})
    steering.cancel()


asyncio.run(main())
