#!/usr/bin/env python3
"""Differential test: Dovecot's pop3 and ours serve copies of the same Maildir; through poplib,
message counts, STAT, LIST sizes, RETR and TOP contents must be identical, and so must the
UIDLs (Dovecot configured with pop3_uidl_format = %f, the file name's unique part). Then
both delete the same messages and show the same remainder."""
import os, poplib, shutil, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, pop3lib
from pop3lib import PASS1

s = pop3lib.Pop3Server()
MSGS = [
    pop3lib.message(0),
    b"Subject: crlf\r\nX: y\r\n\r\nbody\r\n.\r\n..\r\nend\r\n",
    b"Subject: empty body\n\n",
    b"Subject: header only\n",
    b"Subject: 8bit\n\n" + bytes(range(1, 10)) + bytes(range(11, 13)) + bytes(range(14, 256)) + b"\n",
    b"Subject: mixed\n\nlf\r\ncrlf\nlf\n\n\n.\n",
    b"Subject: big\n\n" + b"".join(b"%06d %s\n" % (i, b"." * (i % 90)) for i in range(20000)),
    b"Subject: bare cr\n\na\rb\n",
    b"Subject: dots\n\n.\n..\n...\n. x\n",
    b"Subject: no final newline\n\nend",
]
for m in MSGS:
    s.deliver(m)
dmaildir = os.path.join(s.top, "dovecot-home", "Maildir")
shutil.copytree(s.maildir, dmaildir)
s.give(os.path.join(s.top, "dovecot-home"))
d = pop3lib.Dovecot(dmaildir, os.path.dirname(dmaildir), s.pw, os.path.join(s.top, "dovecot"))


def session(port):
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user("u1")
    p.pass_(PASS1)
    return p


def view(p):
    n, total = p.stat()
    sizes = [l.split()[1] for l in p.list()[1]]
    uidls = [l.split()[1] for l in p.uidl()[1]]
    retr = [p.retr(i)[1] for i in range(1, n + 1)]
    top = [p.top(i, 1)[1] for i in range(1, n + 1)]
    return {"stat": (n, total), "list": sizes, "uidl": uidls, "retr": retr, "top": top}


ours, theirs = session(s.port), session(d.port)
a, b = view(ours), view(theirs)
tap.is_(a["stat"], b["stat"], "STAT identical")
tap.is_(a["stat"][0], len(MSGS), "all messages listed")
tap.is_(a["list"], b["list"], "LIST sizes identical")
tap.is_(a["uidl"], b["uidl"], "UIDLs identical (Dovecot with %f)")
for i in range(len(MSGS)):
    tap.ok(a["retr"][i] == b["retr"][i], "RETR %d identical" % (i + 1), "ours:   %r\ndovecot: %r" % (a["retr"][i][:8], b["retr"][i][:8]))
tap.is_(a["top"], b["top"], "TOP n 1 identical")
for p in (ours, theirs):
    p.dele(2)
    p.dele(7)
tap.is_(ours.stat(), theirs.stat(), "STAT identical after DELE")
ours.quit()
theirs.quit()
ours, theirs = session(s.port), session(d.port)
a, b = view(ours), view(theirs)
tap.ok(a == b and a["stat"][0] == len(MSGS) - 2, "identical after QUIT", "%r\n%r" % (a["stat"], b["stat"]))
ours.quit()
theirs.quit()
d.stop()
s.stop()
tap.done()
