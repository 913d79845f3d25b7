"""aiopeer.py: SMTP peers for qmail-remote's TLS and AUTH tests, built on aiosmtpd (Debian's
python3-aiosmtpd: run this file with /usr/bin/python3, as its own process).
    /usr/bin/python3 aiopeer.py DIR CONFIG.json
CONFIG: {"cert": PEM, "key": PEM, "servers": [{"name": N, "tls": bool, "auth": bool,
"auth_require_tls": bool, "exclude": [mechanisms], "maxtls": "TLSv1_1" or absent, and
its own "cert" and "key" if it wants}]}.
Each server listens on a free 127.0.0.1 port; once all listen, DIR/ports.json maps names to
ports. Each message lands in DIR/N-k.eml (the bytes as received) with DIR/N-k.json (envelope,
TLS version, AUTH user); each AUTH attempt is one line of DIR/auth.log (server, mechanism,
user, result; never the password). AUTH accepts user demo with password "s3cret pass"; user
"later" gets 454. Runs until SIGTERM."""
import json, os, signal, socket, ssl, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

DIR = sys.argv[1]
CONF = json.load(open(sys.argv[2]))
lock = threading.Lock()
counter = [0]


class Handler:
    def __init__(self, name):
        self.name = name

    async def handle_DATA(self, server, session, envelope):
        with lock:
            counter[0] += 1
            base = os.path.join(DIR, "%s-%d" % (self.name, counter[0]))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "options": envelope.mail_options,
                "tls": session.ssl.get("ssl_object").version() if session.ssl and session.ssl.get("ssl_object") else None,
                "auth": getattr(session.auth_data, "login", b"").decode() if session.authenticated else None}
        with open(base + ".tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".tmp", base + ".json")
        return "250 2.0.0 Ok queued as %d" % counter[0]


def authenticator(name):
    def check(server, session, envelope, mechanism, data):
        user, pw = data.login.decode(errors="replace"), data.password.decode(errors="replace")
        if user == "later":
            result, ar = "454", AuthResult(success=False, handled=False, message="454 4.7.0 Try again later")
        elif user == "demo" and pw == "s3cret pass":
            result, ar = "235", AuthResult(success=True, auth_data=data)
        else:
            result, ar = "535", AuthResult(success=False, handled=False)
        with lock, open(os.path.join(DIR, "auth.log"), "a") as f:
            f.write("%s %s %s %s tls=%s\n" % (name, mechanism, user, result, bool(server._tls_protocol)))
        return ar
    return check


def context(s):
    maxtls = s.get("maxtls")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(s.get("cert", CONF["cert"]), s.get("key", CONF["key"]))
    if maxtls:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = getattr(ssl.TLSVersion, maxtls)
        ctx.set_ciphers("DEFAULT@SECLEVEL=0")
    return ctx


def freeport():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kw, handler):
    """A free port can be taken between the probe and the bind: a few tries."""
    for attempt in range(5):
        c = Controller(handler, port=freeport(), **kw)
        try:
            c.start()
            return c
        except Exception:
            if attempt == 4:
                raise


controllers, ports = [], {}
for s in CONF["servers"]:
    kw = {"hostname": "127.0.0.1", "server_hostname": "peer.test", "ready_timeout": 10}
    if s.get("tls"):
        kw["tls_context"] = context(s)
    if s.get("auth"):
        kw["authenticator"] = authenticator(s["name"])
        kw["auth_require_tls"] = s.get("auth_require_tls", True)
        kw["auth_exclude_mechanism"] = s.get("exclude", [])
    c = start(kw, Handler(s["name"]))
    controllers.append(c)
    ports[s["name"]] = c.port

with open(os.path.join(DIR, "ports.tmp"), "w") as f:
    json.dump(ports, f)
os.rename(os.path.join(DIR, "ports.tmp"), os.path.join(DIR, "ports.json"))
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: done.set())
done.wait()
for c in controllers:
    c.stop()
