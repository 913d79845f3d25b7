#!/usr/bin/env python3
"""qmail-remote with STARTTLS (through qmail-tls -c) and AUTH, against aiosmtpd peers run by
Debian's /usr/bin/python3 (tests/aiopeer.py) with a certificate made here: opportunistic TLS
and the report's TLS text, control/tlspolicy none/may/encrypt/verify (with control/tlsca),
a handshake that fails (may: again in the clear; encrypt: deferred), STARTTLS refused or
followed by injected bytes, AUTH PLAIN and LOGIN with good, wrong and deferred credentials,
no AUTH in the clear unless the policy is none, and no password in any output."""
import json, os, signal, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, peers
from instance import wait_for

AIO = "/usr/bin/python3"
if subprocess.run([AIO, "-c", "import aiosmtpd"], capture_output=True).returncode:
    print("1..0 # skip no aiosmtpd for /usr/bin/python3 (python3-aiosmtpd)")
    sys.exit(0)

home = tap.scratch()
ctl = os.path.join(home, "control")
os.mkdir(ctl)
os.makedirs(os.path.join(home, "queue", "lock"))
peerdir = os.path.join(home, "peer")
os.mkdir(peerdir)
REMOTE = os.path.join(tap.TOP, "qmail-remote", "qmail-remote")
TLS = os.path.join(tap.TOP, "tls", "qmail-tls")
MSG = b"Subject: tls test\n\n.leading dot\nbody line\n"
PASSWORD = "s3cret pass"


def cert(name, san):
    key, crt = os.path.join(home, name + ".key"), os.path.join(home, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", "/CN=" + name, "-addext", "subjectAltName=" + san,
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    return crt, key


crt, key = cert("peer", "IP:127.0.0.1,DNS:peer.test")
othercrt, otherkey = cert("other", "DNS:other.test")
bundle = os.path.join(home, "ca.pem")
with open(bundle, "wb") as f:
    f.write(open(crt, "rb").read() + open(othercrt, "rb").read())

servers = [{"name": "tls", "tls": True, "auth": True},
           {"name": "tlslogin", "tls": True, "auth": True, "exclude": ["PLAIN"]},
           {"name": "plain"},
           {"name": "plainauth", "auth": True, "auth_require_tls": False},
           {"name": "oldtls", "tls": True, "maxtls": "TLSv1_1"},
           {"name": "wrongname", "tls": True, "cert": othercrt, "key": otherkey}]
conf = os.path.join(home, "peer.json")
with open(conf, "w") as f:
    json.dump({"cert": crt, "key": key, "servers": servers}, f)
peer = peers.track(subprocess.Popen([AIO, os.path.join(tap.TOP, "tests", "aiopeer.py"), peerdir, conf],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(home, "peer.err"), "wb")))
if not wait_for(lambda: os.path.exists(os.path.join(peerdir, "ports.json")) or peer.poll() is not None, 30) \
        or peer.poll() is not None:
    print("1..0 # skip aiosmtpd peer did not start: " + open(os.path.join(home, "peer.err")).read()[-500:].replace("\n", " "))
    sys.exit(0)
PORTS = json.load(open(os.path.join(peerdir, "ports.json")))


def control(**files):
    for name in ("tlspolicy", "tlsca", "smtpauth"):
        path = os.path.join(ctl, name)
        if name in files:
            with open(path, "w") as f:
                f.write(files[name])
        elif os.path.exists(path):
            os.unlink(path)


def remote(server, **files):
    """qmail-remote to one peer (by name or port) through smtproutes; (report, stderr)."""
    port = PORTS[server] if isinstance(server, str) else server
    with open(os.path.join(ctl, "smtproutes"), "w") as f:
        f.write("example.net:127.0.0.1:%d\n" % port)
    control(**files)
    code, out, err = tap.run([REMOTE, "example.net", "s@example.org", "a@example.net"], stdin=MSG,
                             env={"QMAILHOME": home, "QMAILTLS": TLS, "TIMEOUTREMOTE": "20"})
    ALL.append(out + err)
    return out.decode(errors="replace"), err.decode(errors="replace")


ALL = []


def stored(server):
    """[(meta, bytes)] of what server got, oldest first."""
    out = []
    for f in sorted(os.listdir(peerdir), key=lambda x: os.path.getmtime(os.path.join(peerdir, x))):
        if f.startswith(server + "-") and f.endswith(".json"):
            meta = json.load(open(os.path.join(peerdir, f)))
            out.append((meta, open(os.path.join(peerdir, f[:-5] + ".eml"), "rb").read()))
    return out


def authlog():
    try:
        return open(os.path.join(peerdir, "auth.log")).read()
    except OSError:
        return ""


TLSTEXT = r"over TLS \(TLSv1\.[23] [A-Z0-9_-]+ %s\)"
import re

# opportunistic by default
out, err = remote("tls")
tap.ok(re.fullmatch(r"r250 OK\0K127\.0\.0\.1 accepted message " + TLSTEXT % "unverified" +
                    r"\.\nRemote host said: 250 2\.0\.0 Ok queued as \d+\0", out), "default (may): STARTTLS, K names the TLS version and cipher", out + err)
got = stored("tls")
tap.ok(got and got[-1][0]["tls"] in ("TLSv1.2", "TLSv1.3"), "the peer got the message over TLS", got[-1:])
tap.is_(got[-1][1] if got else None, MSG.replace(b"\n", b"\r\n"), "byte for byte (CRLF)")
tap.is_(got[-1][0]["options"] if got else None, ["SIZE=%d" % len(MSG), "BODY=8BITMIME"], "EHLO again after TLS: SIZE and 8BITMIME seen")

out, err = remote("tls", tlspolicy="example.net:none\n")
tap.ok(out.startswith("r") and "K127.0.0.1 accepted message.\n" in out, "tlspolicy none: no STARTTLS", out)
tap.is_(stored("tls")[-1][0]["tls"], None, "and the message came in the clear")

out, err = remote("plain")
tap.ok("K127.0.0.1 accepted message.\n" in out, "may, a peer without STARTTLS: in the clear", out + err)

n = len(stored("plain"))
out, err = remote("plain", tlspolicy=".net:encrypt\n")
tap.is_(out, "ZConnected to 127.0.0.1 but it does not offer STARTTLS, and control/tlspolicy requires TLS (encrypt). (#4.7.0)\0",
        "encrypt, a peer without STARTTLS: Z for the whole message", err)
tap.is_(len(stored("plain")), n, "and nothing was sent")

out, err = remote("tls", tlspolicy=":encrypt\n")
tap.ok(re.search(r"K127\.0\.0\.1 accepted message " + TLSTEXT % "unverified", out), "encrypt (wildcard line) with a TLS peer: K", out + err)

out, err = remote("tls", tlspolicy="example.net:verify\n")
tap.ok(out.startswith("ZConnected to 127.0.0.1 but the TLS handshake failed (") and "certificate" in out
       and out.endswith("control/tlspolicy requires TLS (verify). (#4.7.0)\0"), "verify, a self-signed certificate: Z", out + err)
out, err = remote("tls", tlspolicy="example.net:verify\n", tlsca=bundle + "\n")
tap.ok(re.search(r"K127\.0\.0\.1 accepted message " + TLSTEXT % "verified", out), "verify with control/tlsca trusting it: K, verified", out + err)
out, err = remote("wrongname", tlspolicy="example.net:verify\n", tlsca=bundle + "\n")
tap.ok(out.startswith("ZConnected to 127.0.0.1 but the TLS handshake failed (") and "127.0.0.1" in out.split("(", 1)[-1],
       "verify, a trusted certificate for another name: Z", out + err)
out, err = remote("wrongname", tlsca=bundle + "\n")
tap.ok(re.search(r"K127\.0\.0\.1 accepted message " + TLSTEXT % "unverified", out), "the same under may: K, unverified", out + err)

n = len(stored("oldtls"))
out, err = remote("oldtls", tlspolicy="example.net:encrypt\n")
tap.ok(out.startswith("ZConnected to 127.0.0.1 but the TLS handshake failed ("), "encrypt, a handshake that fails (TLS 1.1 only): Z", out + err)
tap.is_(len(stored("oldtls")), n, "nothing sent")
out, err = remote("oldtls")
tap.ok("K127.0.0.1 accepted message.\n" in out, "may, the same peer: delivered in the clear on a new connection", out + err)
tap.ok("TLS with 127.0.0.1 failed" in err and "trying again without TLS" in err, "the fallback is logged", err)
tap.is_(stored("oldtls")[-1][0]["tls"] if stored("oldtls") else "none", None, "the peer got it without TLS")

# STARTTLS refused, and bytes injected after the 220
sc = peers.Scripted({"EHLO": b"250-scripted\r\n250 STARTTLS\r\n", "STARTTLS": b"454 4.7.0 TLS not available\r\n",
                     "DATA": b"354 go\r\n", ".": b"250 ok\r\n"})
out, err = remote(sc.port)
tap.ok(out.endswith("K127.0.0.1 accepted message.\nRemote host said: 250 ok\0"), "may, STARTTLS refused: on in the clear", out)
out, err = remote(sc.port, tlspolicy="example.net:encrypt\n")
tap.is_(out, "ZConnected to 127.0.0.1 but STARTTLS was refused (454 4.7.0 TLS not available), and control/tlspolicy requires TLS (encrypt). (#4.7.0)\0",
        "encrypt, STARTTLS refused: Z with the peer's words", err)
sc.stop()
sc = peers.Scripted({"EHLO": b"250-scripted\r\n250 STARTTLS\r\n", "STARTTLS": b"220 go ahead\r\n250 injected\r\n",
                     "DATA": b"354 go\r\n", ".": b"250 ok\r\n"})
out, err = remote(sc.port)
wait_for(lambda: len(sc.received) >= 2, 5)
tap.ok(out.endswith("K127.0.0.1 accepted message.\nRemote host said: 250 ok\0") and "sent more after its 220" in err,
       "bytes after the 220 to STARTTLS: that connection is dropped, delivered in the clear on a new one", out + err)
tap.ok(sc.received and sc.received[0].endswith(b"STARTTLS\r\n"), "nothing sent after STARTTLS on the first", sc.received[:1])
sc.stop()

# AUTH
good = "127.0.0.1:demo:%s\n" % PASSWORD
out, err = remote("tls", smtpauth=good)
tap.ok(re.search(r"K127\.0\.0\.1 accepted message " + TLSTEXT % "unverified" + r", authenticated as demo\.\n", out), "AUTH PLAIN after STARTTLS: K", out + err)
tap.ok(re.search(r"^tls PLAIN demo 235 tls=True$", authlog(), re.M), "the peer saw AUTH PLAIN over TLS", authlog())
tap.is_(stored("tls")[-1][0]["auth"], "demo", "the message came authenticated")
out, err = remote("tlslogin", smtpauth=good)
tap.ok(re.search(r"K127\.0\.0\.1 accepted message .*, authenticated as demo\.\n", out), "AUTH LOGIN when PLAIN is not offered: K", out + err)
tap.ok(re.search(r"^tlslogin LOGIN demo 235 tls=True$", authlog(), re.M), "the peer saw AUTH LOGIN", authlog())
n = len(stored("tls"))
out, err = remote("tls", smtpauth="127.0.0.1:demo:wrong password\n")
tap.ok(re.fullmatch(r"DConnected to 127\.0\.0\.1 but my AUTH was rejected\.\nRemote host said: 535 5\.7\.8 [^\0]*\0", out), "a wrong password (535): D for the whole message", out + err)
out, err = remote("tlslogin", smtpauth="127.0.0.1:demo:wrong password\n")
tap.ok(out.startswith("DConnected to 127.0.0.1 but my AUTH was rejected.\nRemote host said: 535"), "the same with LOGIN", out + err)
out, err = remote("tls", smtpauth="127.0.0.1:later:x\n")
tap.ok(out.startswith("ZConnected to 127.0.0.1 but my AUTH was rejected.\nRemote host said: 454 4.7.0"), "454: Z", out + err)
tap.is_(len(stored("tls")), n, "no message after a failed AUTH")
out, err = remote("tls", smtpauth="elsewhere.example:demo:%s\n" % PASSWORD)
tap.ok(re.search(r"K127\.0\.0\.1 accepted message " + TLSTEXT % "unverified" + r"\.\n", out), "no credentials for this relay: no AUTH", out + err)
before = authlog()
out, err = remote("plainauth", smtpauth=good)
tap.is_(out, "ZConnected to 127.0.0.1 but not over TLS, and my AUTH credentials go in the clear only under tlspolicy none. (#4.7.0)\0",
        "AUTH offered without TLS under may: not sent, Z", err)
tap.is_(authlog(), before, "the peer saw no AUTH")
out, err = remote("plainauth", smtpauth=good, tlspolicy="example.net:none\n")
tap.ok(re.search(r"K127\.0\.0\.1 accepted message, authenticated as demo\.\n", out), "tlspolicy none: AUTH in the clear, K", out + err)
tap.ok(re.search(r"^plainauth PLAIN demo 235 tls=False$", authlog(), re.M), "the peer saw it", authlog())
out, err = remote("plain", smtpauth=good, tlspolicy="example.net:none\n")
tap.ok("K127.0.0.1 accepted message.\n" in out, "a relay that offers no AUTH: delivered without", out + err)

out, err = remote("tls", smtpauth="127.0.0.1:demo\n")
tap.is_(out, "ZUnable to read control/smtpauth. (#4.3.0)\0", "a malformed smtpauth line: Z naming the file")
out, err = remote("tls", tlspolicy="example.net:sometimes\n")
tap.is_(out, "ZUnable to read control/tlspolicy. (#4.3.0)\0", "an unknown tlspolicy word: Z naming the file")

# the helper cannot be run
control()
code, out, err = tap.run([REMOTE, "example.net", "s@example.org", "a@example.net"], stdin=MSG,
                         env={"QMAILHOME": home, "QMAILTLS": "/nonexistent/qmail-tls"})
tap.ok(out.startswith(b"r") and b"K127.0.0.1 accepted message.\n" in out and b"unable to run /nonexistent/qmail-tls" in err,
       "qmail-tls missing under may: said on the status line, delivered in the clear", out + err)

ALL.append(out + err)
tap.ok(not [x for x in ALL if PASSWORD.encode() in x or b"wrong password" in x], "no password in any report or log line of qmail-remote")
peer.send_signal(signal.SIGTERM)
try:
    peer.wait(timeout=10)
except subprocess.TimeoutExpired:
    peer.kill()
    peer.wait()
tap.done()
