#!/usr/bin/env python3
"""qmail-popup + qmail-checkpw + qmail-pop3d under a real tcpserver, driven by Python's poplib
(and a raw socket for pipelining and protocol errors): every command and error path, APOP,
crypt(3) users, DELE/RSET/QUIT semantics, a dropped connection, new/ to cur/, stale tmp/
files, UIDL stability, the per-command deadline."""
import os, poplib, re, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, pop3lib
from pop3lib import PASS1, PASS2

s = pop3lib.Pop3Server()
MSGS = [pop3lib.message(i, 300 + 200 * i) for i in range(5)]
for m in MSGS:
    s.deliver(m)


def connect():
    return poplib.POP3("127.0.0.1", s.port, timeout=20)


def login(user="u1", pw=PASS1):
    p = connect()
    p.user(user)
    p.pass_(pw)
    return p


def err(f, *a):
    """The -ERR text of f(*a), or None if it succeeded."""
    try:
        f(*a)
    except poplib.error_proto as e:
        return e.args[0]
    return None


def wire(m):
    return m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def raw(data, expect_lines, timeout=10):
    """Send data at once; read until expect_lines lines came or the server closed."""
    c = socket.create_connection(("127.0.0.1", s.port), timeout=timeout)
    c.sendall(data)
    buf = b""
    deadline = time.monotonic() + timeout
    while buf.count(b"\r\n") < expect_lines and time.monotonic() < deadline:
        x = c.recv(65536)
        if not x:
            break
        buf += x
    c.close()
    return buf.split(b"\r\n")


# authorization state
p = connect()
tap.ok(re.match(rb"^\+OK <\d+\.\d+@testhost>$", p.getwelcome()), "greeting with an APOP timestamp", p.getwelcome())
caps = p.capa()
tap.ok(all(k in caps for k in ("TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING", "IMPLEMENTATION")), "CAPA before login", caps)
tap.ok((err(p.stat) or b"").startswith(b"-ERR"), "STAT before login refused")
tap.ok((err(p.pass_, PASS1) or b"").startswith(b"-ERR"), "PASS without USER refused")
tap.ok((err(p._shortcmd, "XYZZY") or b"").startswith(b"-ERR"), "unknown command refused")
p.user("u1")
e = err(p.pass_, "wrong")
tap.ok(e and e.startswith(b"-ERR [AUTH]"), "bad password: -ERR [AUTH]", e)
p.user("nosuchuser")
t0 = time.monotonic()
e = err(p.pass_, "whatever")
tap.ok(e and e.startswith(b"-ERR [AUTH]") and time.monotonic() - t0 >= 0.9, "unknown user: -ERR [AUTH] after a delay", e)
p.user("u2")
e = err(p.pass_, PASS1)
tap.ok(e and e.startswith(b"-ERR [AUTH]"), "crypt user, wrong password", e)
e = err(p.apop, "u1", "wrong")
tap.ok(e and e.startswith(b"-ERR [AUTH]"), "APOP with a bad digest", e)
tap.ok((p.quit() or b"").startswith(b"+OK"), "QUIT before login")

p = connect()
e = err(p.apop, "u1", PASS1)
tap.ok(e is None, "APOP login of a {plain} user", e)
p.quit()
p = connect()
e = err(p.apop, "u2", PASS2)
tap.ok(e and e.startswith(b"-ERR [AUTH]"), "no APOP for a crypt(3) user", e)
p.quit()
p = login("u2", PASS2)
tap.is_(p.stat()[0], 5, "crypt(3) user logs in (SHA-512)")
p.quit()

# transaction state
p = login()
st = p.stat()
tap.is_(st, (5, sum(len(wire(m)) for m in MSGS)), "STAT counts CRLF octets")
resp, lst, _ = p.list()
tap.is_([l.split()[1] for l in lst], [str(len(wire(m))).encode() for m in MSGS], "LIST sizes")
tap.is_(p.list(3), b"+OK 3 %d" % len(wire(MSGS[2])), "LIST n")
resp, uidls, _ = p.uidl()
tap.ok(len(set(uidls)) == 5 and all(0 < len(u.split()[1]) <= 70 and re.match(rb"^[\x21-\x7e]+$", u.split()[1]) for u in uidls),
       "UIDL unique, printable, at most 70 characters", uidls)
tap.is_(p.uidl(2), b"+OK " + uidls[1], "UIDL n")
ok = True
for i, m in enumerate(MSGS):
    resp, lines, octets = p.retr(i + 1)
    ok = ok and b"\n".join(lines) + b"\n" == m and resp == b"+OK %d octets" % len(wire(m))
tap.ok(ok, "RETR gives every message back (CRLF, dot-stuffing undone by poplib)")
resp, lines, _ = p.top(1, 2)
hdr, body = MSGS[0].split(b"\n\n", 1)
tap.is_(lines, hdr.split(b"\n") + [b""] + body.split(b"\n")[:2], "TOP 1 2")
resp, lines, _ = p.top(1, 0)
tap.is_(lines, hdr.split(b"\n") + [b""], "TOP 1 0")
for cmd, name in (("RETR 0", "RETR 0"), ("RETR 6", "RETR beyond the last"), ("RETR x", "RETR x"),
                  ("RETR", "RETR without argument"), ("TOP 1", "TOP without line count"), ("LIST 1 2", "LIST with two args"),
                  ("DELE -1", "DELE -1"), ("STAT 1", "STAT with an argument"), ("USER u1", "USER after login"),
                  ("FOO", "unknown command")):
    tap.ok((err(p._shortcmd, cmd) or b"").startswith(b"-ERR"), name + " refused")
tap.is_(p._shortcmd("LAST"), b"+OK 5", "LAST")
tap.is_(p.noop(), b"+OK", "NOOP")
p.dele(2)
tap.is_(p.stat()[0], 4, "DELE leaves STAT")
tap.ok((err(p.retr, 2) or b"").startswith(b"-ERR"), "RETR of a deleted message refused")
tap.ok((err(p.dele, 2) or b"").startswith(b"-ERR"), "DELE twice refused")
tap.is_(len(p.list()[1]), 4, "LIST skips it")
p.rset()
tap.is_(p.stat()[0], 5, "RSET undeletes")
tap.is_(p._shortcmd("LAST"), b"+OK 0", "RSET resets LAST")
p.dele(1)
p.close()  # dropped connection: nothing deleted
time.sleep(0.3)
tap.is_(len(s.files()), 5, "dropped connection deletes nothing")
tap.ok(not os.listdir(os.path.join(s.maildir, "new")) and all(f.endswith(":2,") for f in s.files()),
       "kept messages of new/ moved to cur/ with :2, by the sessions that QUIT", s.files())

p = login()
tap.is_(p.uidl()[1], uidls, "UIDL stable across sessions")
p.dele(1)
p.dele(5)
tap.ok(p.quit().startswith(b"+OK"), "QUIT after DELE")
time.sleep(0.2)
tap.is_(len(s.files()), 3, "DELE+QUIT removes the files")
p = login()
tap.is_(p.uidl()[1], [b"%d %s" % (i + 1, u.split()[1]) for i, u in enumerate(uidls[1:4])], "remaining messages renumbered")
p.quit()

# pipelining, within the session and across the login
lines = raw(b"USER u1\r\nPASS " + PASS1.encode() + b"\r\nSTAT\r\nLIST\r\nNOOP\r\nUIDL 1\r\nQUIT\r\n", 13)
tap.ok(lines[0].startswith(b"+OK <") and lines[1] == b"+OK" and lines[2] == b"+OK 3 messages" and lines[3].startswith(b"+OK 3 ")
       and lines[4] == b"+OK" and lines[8] == b"." and lines[9] == b"+OK" and lines[10].startswith(b"+OK 1 ") and lines[11] == b"+OK",
       "pipelined commands, the login included", lines)
lines = raw(b"USER " + b"x" * 2000 + b"\r\nQUIT\r\n", 3)
tap.ok(lines[1].startswith(b"-ERR") and lines[2] == b"+OK", "overlong line refused, session goes on", lines)
lines = raw(b"user u1\r\npass " + PASS1.encode() + b"\r\nstat\r\nquit\r\n", 5)
tap.ok(lines[3].startswith(b"+OK 3 "), "lower-case commands", lines)

# a message with CRLF already, one without a final newline, stale tmp/ files, W= sizes
s.clear()
a = s.deliver(b"Subject: crlf\r\n\r\nalready\r\n..two dots\r\n")
b = s.deliver(b"Subject: no newline\n\nend")
old = os.path.join(s.maildir, "tmp", "1.M1P1.stale")
fresh = os.path.join(s.maildir, "tmp", "2.M2P2.fresh")
for f in (old, fresh):
    with open(f, "wb") as x:
        x.write(b"x")
    s.give(f)
os.utime(old, (time.time() - 40 * 3600,) * 2)
p = login()
tap.is_(p.list()[1], [b"1 38", b"2 26"], "sizes of CRLF and unterminated messages")
tap.is_(p.retr(1)[1], [b"Subject: crlf", b"", b"already", b"..two dots"], "CRLF message sent as is, dots stuffed")
tap.is_(p.retr(2)[1], [b"Subject: no newline", b"", b"end"], "final CRLF added")
p.quit()
tap.ok(not os.path.exists(old) and os.path.exists(fresh), "tmp/ files older than 36 hours removed, others kept")

# new/ at QUIT: deleted messages leave through tmp/ and are removed, kept ones move to cur/
s.clear()
a = s.deliver(b"Subject: a\n\nfirst\n")
b = s.deliver(b"Subject: b\n\nsecond\n")
c = s.deliver(b"Subject: c\n\nthird\n", where="cur", name="%d.M9P9.testhost:2,S" % 1700000999)
p = login()
tap.is_(p.stat()[0], 3, "messages of new/ and cur/ listed together")
p.dele(1)
p.close()  # dropped
time.sleep(0.3)
tap.ok(os.path.exists(a) and os.path.exists(b) and os.path.exists(c), "a dropped connection moves nothing and removes nothing")
p = login()
u = p.uidl()[1]
p.dele(1)
p.dele(3)
tap.ok(p.quit().startswith(b"+OK"), "QUIT deleting one message of new/ and one of cur/")
time.sleep(0.3)
names = lambda d: sorted(os.listdir(os.path.join(s.maildir, d)))
tap.ok(names("new") == [] and names("cur") == [os.path.basename(b) + ":2,"] and names("tmp") == [],
       "the kept one moved to cur/ with :2,; the deleted ones gone, tmp/ left empty", (names("new"), names("cur"), names("tmp")))
p = login()
tap.is_(p.uidl()[1], [b"1 " + u[1].split()[1]], "its UIDL did not change with the move")
p.quit()

# another reader (a mail client on the same Maildir) moves a message from new/ to cur/ during
# the session: RETR still finds it, and DELE+QUIT still removes it
s.clear()
x = s.deliver(b"Subject: x\n\nmoved meanwhile\n")
y = s.deliver(b"Subject: y\n\nalso moved\n")
p = login()
tap.is_(p.stat()[0], 2, "two messages in new/")
for f in (x, y):
    os.rename(f, os.path.join(s.maildir, "cur", os.path.basename(f) + ":2,"))
tap.is_(p.retr(1)[1], [b"Subject: x", b"", b"moved meanwhile"], "RETR of a message moved to cur/ meanwhile")
p.dele(1)
tap.ok(p.quit().startswith(b"+OK"), "QUIT")
time.sleep(0.3)
tap.is_(s.files(), [os.path.basename(y) + ":2,"], "the deleted one is gone from cur/, the kept one stays")

# the deadline: TIMEOUTPOP3D reaches qmail-popup through tcpserver's environment
s.stop()
s.start({"TIMEOUTPOP3D": "1"})
c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
t0 = time.monotonic()
data = b""
while True:
    x = c.recv(1000)
    if not x:
        break
    data += x
c.close()
tap.ok(data.startswith(b"+OK <") and 0.8 < time.monotonic() - t0 < 5, "idle client dropped after TIMEOUTPOP3D", data)
p = login()
t0 = time.monotonic()
tap.ok(err(p.stat) is None, "session works with a short timeout")
time.sleep(1.5)
e = err(p.stat)
tap.ok(e is not None, "idle session dropped by qmail-pop3d after the deadline", e)
s.stop()
log = s.logtext()
tap.ok("authorization failed for nosuchuser from 127.0.0.1" in log and "quit: 0 retrieved, 2 deleted" in log
       and "internal bug" not in log, "one log line per failed login and per session", log)
tap.done()
