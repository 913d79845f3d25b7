#!/usr/bin/env python3
"""Real POP3 clients against qmail-popup/qmail-checkpw/qmail-pop3d under tcpserver: fetchmail,
getmail6 and mpop fetch the same mailbox in leave-on-server mode (UIDL: a second run fetches
nothing, a new message alone is fetched next), then fetchmail fetches and deletes everything.
Each client uses config files in the scratch directory and delivers to files there."""
import os, re, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, pop3lib
from pop3lib import PASS1

s = pop3lib.Pop3Server()
for i in range(3):
    s.deliver(pop3lib.message(i))
W = os.path.join(s.top, "clients")
os.mkdir(W, 0o700)
s.give(W)
ENV = dict(os.environ, HOME=W, LC_ALL="C")


def put(name, text, mode=0o600):
    path = os.path.join(W, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    s.give(path)
    return path


def ids(path):
    try:
        with open(path, "rb") as f:
            return re.findall(rb"(?m)^Message-Id: <(\d+)@test>", f.read())
    except FileNotFoundError:
        return []


def run(argv):
    if pop3lib.qlocal.ROOT:  # clients run as the test account: getmail refuses root
        argv = ["setpriv", "--reuid=%d" % s.pw.pw_uid, "--regid=%d" % s.pw.pw_gid, "--clear-groups", "--"] + argv
    p = subprocess.run(argv, capture_output=True, env=ENV, cwd=W, timeout=60)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


FETCHMAIL_OUT = os.path.join(W, "fetchmail.out")
put("fetchmailrc", """set no syslog
poll 127.0.0.1 service %d protocol pop3 uidl auth password
  user "u1" there with password "%s" is "u1" here
  sslproto "" mda "/bin/sh -c 'cat >> %s'"
""" % (s.port, PASS1, FETCHMAIL_OUT))


def fetchmail(*opts):
    return run(["fetchmail", "-f", os.path.join(W, "fetchmailrc"), "-i", os.path.join(W, "fetchids"),
                "--nosyslog", "--nodetach"] + list(opts))


GETMAIL_OUT = put("getmail.mbox", "", 0o600)
put("getmailrc", """[retriever]
type = SimplePOP3Retriever
server = 127.0.0.1
port = %d
username = u1
password = %s

[destination]
type = Mboxrd
path = %s

[options]
verbose = 0
read_all = false
delete = false
""" % (s.port, PASS1, GETMAIL_OUT))
os.mkdir(os.path.join(W, "getmail"), 0o700)
s.give(os.path.join(W, "getmail"))


def getmail():
    return run(["getmail", "--getmaildir", os.path.join(W, "getmail"), "--rcfile", os.path.join(W, "getmailrc")])


MPOP_OUT = put("mpop.mbox", "", 0o600)
put("mpoprc", """defaults
tls off
account default
host 127.0.0.1
port %d
user u1
password %s
auth user
delivery mbox %s
keep on
only_new on
uidls_file %s
""" % (s.port, PASS1, MPOP_OUT, os.path.join(W, "mpop.uidls")))


def mpop():
    return run(["mpop", "-C", os.path.join(W, "mpoprc"), "-q"])


CLIENTS = (("fetchmail", lambda: fetchmail("--keep"), FETCHMAIL_OUT), ("getmail6", getmail, GETMAIL_OUT), ("mpop", mpop, MPOP_OUT))
for name, f, out in CLIENTS:
    rc, text = f()
    tap.ok(rc in (0, 1) and ids(out) == [b"0", b"1", b"2"], "%s fetches the 3 messages, leaving them" % name, "exit %d\n%s\n%s" % (rc, text, s.logtext()[-2000:]))
    rc, text = f()
    tap.ok(rc in (0, 1) and ids(out) == [b"0", b"1", b"2"], "%s: a second run fetches nothing (UIDL)" % name, "exit %d\n%s" % (rc, text))
tap.is_(len(s.files()), 3, "all 3 messages still on the server")
s.deliver(pop3lib.message(3))
for name, f, out in CLIENTS:
    rc, text = f()
    tap.ok(rc in (0, 1) and ids(out) == [b"0", b"1", b"2", b"3"], "%s fetches only the new message" % name, "exit %d\n%s" % (rc, text))
with open(MPOP_OUT, "rb") as a, open(os.path.join(s.maildir, "cur", sorted(os.listdir(os.path.join(s.maildir, "cur")))[0]), "rb") as b:
    body = b.read()
    tap.ok(body.split(b"\n\n", 1)[1] in a.read().replace(b"\n>From ", b"\nFrom "), "message body arrives intact (mpop)")
rc, text = fetchmail("--all", "--nokeep")
tap.ok(rc == 0 and ids(FETCHMAIL_OUT).count(b"0") == 2, "fetchmail --all --nokeep fetches everything again", "exit %d\n%s" % (rc, text))
tap.is_(s.files(), [], "and deletes it from the server")
s.stop()
tap.done()
