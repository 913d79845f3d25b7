#!/usr/bin/env python3
"""qmail-remote with real DNS: tinydns in a network namespace made here (its resolv.conf
points at it), smtp-sink peers on 127.0.0.2, 127.0.0.3 and ::1 inside it. MX preferences, the
next MX when the best is down or greets with 4xx, both down (deferral, the dead-host table
fills, qmail-tcpto shows it, qmail-tcpok empties it), A fallback, CNAME, NXDOMAIN (D), no
answer (Z), our own addresses and control/me among the MX (qmail's #5.4.6), AAAA over IPv6.
Needs root (ip netns); the namespace and /etc/netns/NS go away at the end, even on failure."""
import atexit, os, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, peers

if os.geteuid() != 0:
    print("1..0 # skip needs root (network namespace)")
    sys.exit(0)
if not shutil.which("tinydns") or not shutil.which("tinydns-data") or not peers.sinkdir():
    print("1..0 # skip no tinydns or smtp-sink")
    sys.exit(0)

NS = "qmt%d" % os.getpid()
ETC = "/etc/netns/" + NS


def cleanup():
    peers._stop_all()
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    shutil.rmtree(ETC, ignore_errors=True)
    try:
        os.rmdir("/etc/netns")  # only if no other namespace has a directory there
    except OSError:
        pass
atexit.register(cleanup)

subprocess.run(["ip", "netns", "add", NS], check=True)
subprocess.run(["ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up"], check=True)
os.makedirs(ETC)
with open(ETC + "/resolv.conf", "w") as f:
    f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")

root = tap.scratch()
os.chmod(root, 0o755)
v6 = "".join("\\%03o" % b for b in bytes(15) + b"\x01")
DATA = """.test::ns.test
+ns.test:127.0.0.1
@two.test::mx1.two.test:10
@two.test::mx2.two.test:20
+mx1.two.test:127.0.0.2
+mx2.two.test:127.0.0.3
@down.test::mxa.down.test:10
@down.test::mxb.down.test:20
+mxa.down.test:127.0.0.4
+mxb.down.test:127.0.0.5
+nomx.test:127.0.0.3
Calias.test:two.test
@self.test::mx.self.test:10
@self.test::mx2.two.test:20
+mx.self.test:127.0.0.1
@selfback.test::mx.selfback.test:20
@selfback.test::mx2.two.test:10
+mx.selfback.test:127.0.0.1
@meis.test::mail.me.test:10
@meis.test::mx2.two.test:20
+mail.me.test:127.0.0.9
@v6.test::mx.v6.test:10
:mx.v6.test:28:%s
""" % v6
with open(os.path.join(root, "data"), "w") as f:
    f.write(DATA)
p = subprocess.run(["tinydns-data"], cwd=root, capture_output=True)
tap.is_(p.returncode, 0, "tinydns-data compiles the zone", p.stderr)
peers.track(subprocess.Popen(["ip", "netns", "exec", NS, "env", "ROOT=" + root, "IP=127.0.0.1", "UID=65534", "GID=65534", "tinydns"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

home = tap.scratch()
os.makedirs(os.path.join(home, "control"))
os.makedirs(os.path.join(home, "queue", "lock"))
open(os.path.join(home, "queue", "lock", "tcpto"), "wb").close()
with open(os.path.join(home, "control", "me"), "w") as f:
    f.write("mail.me.test\n")
BIN = os.path.join(tap.TOP, "qmail-remote")


def inns(prog, *args, stdin=b""):
    return tap.run(["ip", "netns", "exec", NS, os.path.join(BIN, prog)] + list(args), stdin=stdin, env={"QMAILHOME": home})


def remote(domain):
    code, out, err = inns("qmail-remote", domain, "s@example.org", "u@" + domain, stdin=b"Subject: dns\n\nhi\n")
    return out.split(b"\0")[-2] if out.count(b"\0") else out + err


def accepted(ip):
    return b"K%s accepted message.\nRemote host said: 250 2.0.0 Ok" % ip.encode()


s3 = peers.Sink(host="127.0.0.3", port=25, netns=NS)
tap.is_(remote("two.test"), accepted("127.0.0.3"), "best MX down: the next one takes it")
s2 = peers.Sink(host="127.0.0.2", port=25, netns=NS)
tap.is_(remote("two.test"), accepted("127.0.0.2"), "both up: the best MX")
tap.is_(remote("alias.test"), accepted("127.0.0.2"), "a CNAME to a domain with MX")
tap.is_(remote("nomx.test"), accepted("127.0.0.3"), "no MX: the A record")
s2.stop()
s2 = peers.Sink(host="127.0.0.2", port=25, netns=NS, opts=["-r", "CONNECT"])
tap.is_(remote("two.test"), accepted("127.0.0.3"), "best MX greets with 4xx: the next one takes it")
s2.stop()
tap.is_(remote("selfback.test"), accepted("127.0.0.3"), "an MX that is one of my addresses: only better ones are tried")
# 127.0.0.2 is down now, so mx1.two.test (pref 10) fails and nothing else is better than me
tap.is_(remote("self.test")[:1], b"D", "the best MX is me: permanent failure, worse MX (up) not tried")
tap.ok(b"best-preference MX" in remote("self.test") and b"(#5.4.6)" in remote("self.test"), "with qmail's text")
tap.ok(b"(#5.4.6)" in remote("meis.test"), "an MX named as control/me counts as me")
tap.is_(remote("nx.test"), b"DSorry, I couldn't find any host named nx.test. (#5.1.2)", "NXDOMAIN: permanent")
tap.is_(remote("elsewhere.example"), b"ZTemporary DNS failure looking up elsewhere.example. (#4.4.3)", "no answer: temporary")

# ::1 is on the namespace's lo: as an MX it is me; as a relay (smtproutes) it is just a host
tap.ok(b"(#5.4.6)" in remote("v6.test"), "an AAAA MX that is my IPv6 address counts as me")
try:
    s6 = peers.Sink(host="::1", port=25, netns=NS)
    with open(os.path.join(home, "control", "smtproutes"), "w") as f:
        f.write("v6.test:mx.v6.test\n")
    tap.is_(remote("v6.test"), accepted("::1"), "a relay with only AAAA: delivered over IPv6")
    os.unlink(os.path.join(home, "control", "smtproutes"))
except RuntimeError as e:
    tap.ok(False, "IPv6 sink in the namespace", e)

NOCONN = b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)"
tap.is_(remote("down.test"), NOCONN, "both MX down: deferred")
code, out, err = inns("qmail-tcpto")
lines = sorted(l.split()[0] for l in out.decode().splitlines())
tap.ok(["127.0.0.4", "127.0.0.5"] == [x for x in lines if x in ("127.0.0.4", "127.0.0.5")], "qmail-tcpto shows both hosts", out)
remote("down.test")
code, out, err = inns("qmail-tcpto")
tap.ok(b"127.0.0.4 failures 2" in out and b"127.0.0.5 failures 2" in out and out.count(b" dead") >= 2, "two failures: both dead", out)
tap.is_(remote("down.test"), NOCONN, "dead hosts are skipped: still deferred")
code, out, err = inns("qmail-tcpto")
tap.ok(b"failures 2" in out and b"failures 3" not in out, "skipped hosts were not tried again", out)
code, out, err = inns("qmail-tcpok")
tap.is_(code, 0, "qmail-tcpok", err)
code, out, err = inns("qmail-tcpto")
tap.is_(out, b"", "the table is empty")
tap.done()
