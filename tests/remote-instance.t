#!/usr/bin/env python3
"""Instance A delivers to instance B over SMTP (issue 5, with issue 8's TLS): B runs
qmail-smtpd under tcpserver, once behind qmail-tls -s with a certificate made here and once in
the clear; A routes b.example and c.example to them through smtproutes, with tlspolicy
"verify" (control/tlsca trusting B's certificate) for b.example. A's qmail-send, qmail-rspawn
and qmail-remote deliver; each message lands in B's demo Maildir byte for byte after the
lines the queues and B add (Received, Delivered-To, Return-Path); A's log names the TLS."""
import os, re, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from instance import Instance, wait_for
from smtpdlib import Smtpd

MSG = (b"Subject: from A to B\nFrom: demo@a.example\nTo: demo@b.example\n\n"
       b".a line that starts with a dot\n..and two\n.\n\nan empty line above, trailing blanks here  \t\n"
       b"From the start of a line\n" + "8-bit: Gr\u00fc\u00dfe, \u65e5\u672c\n".encode() + b"x" * 900 + b"\nlast line\n")

b = Instance(locals_=("b.example", "c.example"), control={"rcpthosts": "b.example\nc.example\n"})
crt, key = os.path.join(b.home, "control", "servercert.pem"), os.path.join(b.home, "control", "serverkey.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=b.example", "-addext", "subjectAltName=IP:127.0.0.1,DNS:b.example",
                "-keyout", key, "-out", crt], check=True, capture_output=True)
b.give()
os.chmod(key, 0o600)
tlsd = Smtpd(b, name="tlsd", prog=[os.path.join(b.bin, "qmail-tls"), "-s", os.path.join(b.bin, "qmail-smtpd")])
plaind = Smtpd(b, name="plaind")
b.start()

a = Instance(locals_=("a.example",), control={
    "smtproutes": "b.example:127.0.0.1:%d\nc.example:127.0.0.1:%d\n" % (tlsd.port, plaind.port),
    "tlspolicy": "b.example:verify\n", "tlsca": "control/tlsca.pem\n"})
a.put("control/tlsca.pem", open(crt, "rb").read())
a.start()

tap.is_(a.queue(MSG, "demo@a.example", ["demo@b.example"]), 0, "A queued a message for demo@b.example")
got = wait_for(lambda: b.maildir_new(), 30)
tap.ok(got, "it arrived in B's demo Maildir", a.logtext()[-2000:] + tlsd.logtext()[-1000:] + b.logtext()[-1000:])


def check(path, proto, what):
    data = open(path, "rb").read() if path else b""
    head, ok_ = data[:len(data) - len(MSG)], data.endswith(MSG)
    tap.ok(ok_, what + ": byte for byte after B's own lines", data[:2000])
    added = re.split(rb"\n(?![ \t])", head.rstrip(b"\n")) if head else []
    tap.is_(sorted(set(l.split(b":", 1)[0] for l in added)), [b"Delivered-To", b"Received", b"Return-Path"],
            what + ": B and the queues added only Return-Path, Delivered-To, Received", head)
    tap.ok(re.search(proto, head), what + ": B's Received line: " + proto.decode(), head)
    return data


if got:
    check(got[0], rb"with ESMTPS \(TLSv1\.[23] [A-Z0-9_-]+\)", "over TLS")
tap.ok(wait_for(lambda: re.search(r"delivery \d+: success: 127\.0\.0\.1 accepted message over TLS \(TLSv1\.[23] \S+ verified\)\./"
                                  r"Remote host said: 250", a.logtext()), 10),
       "A's log: success, over TLS, the certificate verified", a.logtext()[-2000:])

tap.is_(a.queue(MSG, "demo@a.example", ["demo@c.example"]), 0, "A queued one for c.example (B in the clear)")
got = wait_for(lambda: len(b.maildir_new()) >= 2 and b.maildir_new(), 30)
tap.ok(got, "it arrived too", a.logtext()[-2000:])
if got:
    new = [p for p in got if b"demo@c.example" in open(p, "rb").read()]
    check(new[0] if new else None, rb"\(qmail-smtpd\) with ESMTP;", "in the clear")
tap.ok(wait_for(lambda: re.search(r"delivery \d+: success: 127\.0\.0\.1 accepted message\./Remote host said: 250", a.logtext()), 10),
       "A's log: success without TLS", a.logtext()[-2000:])

tap.is_(a.stop(), 0, "A's qmail-send stopped")
tap.is_(b.stop(), 0, "B's qmail-send stopped")
tlsd.stop()
plaind.stop()
tap.is_(a.ours() + b.ours(), [], "no program of either instance left")
tap.done()
