#!/usr/bin/env python3
"""QMQP: qmail-qmqpc (a qmail-queue replacement) hands messages to qmail-qmqpd under tcpserver
on loopback, in front of a running instance: the message arrives byte-identical in the
Maildir; several servers are tried in order; strict netstrings (bad ones refused with D);
size limit; exit codes of qmail-queue."""
import os, socket, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, peers
from instance import Instance, wait_for

inst = Instance()
inst.start()
port = peers.freeport()
srv = peers.track(subprocess.Popen(inst.argv(["/usr/bin/tcpserver", "-q", "-R", "-H", "-l", "0", "127.0.0.1", str(port),
                                              os.path.join(inst.bin, "qmail-qmqpd")]),
                                   env=inst.env(), cwd=inst.home, stdin=subprocess.DEVNULL, stderr=open(os.path.join(inst.home, "qmqpd.log"), "wb")))
def up():
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
tap.ok(wait_for(up, 10), "tcpserver listens")

client = tap.scratch()
os.mkdir(os.path.join(client, "control"))
QMQPC = os.path.join(tap.TOP, "qmail-remote", "qmail-qmqpc")


def qmqpc(servers, msg, sender, rcpts, env=None):
    with open(os.path.join(client, "control", "qmqpservers"), "w") as f:
        f.write(servers)
    ef = os.path.join(client, "envelope")
    with open(ef, "wb") as f:
        f.write(b"F" + sender + b"\0" + b"".join(b"T" + r + b"\0" for r in rcpts) + b"\0")
    with open(ef, "rb") as f:
        p = subprocess.run([QMQPC], input=msg, stdout=f, stderr=subprocess.PIPE, timeout=60,
                           env=dict(os.environ, QMAILHOME=client, **(env or {})))
    return p.returncode, p.stderr


msg = b"From: a@example.org\nTo: demo@localhost\nSubject: qmqp \xe9\n\nbody\n.\n..dots\n\ttab \r\nend\n"
closed = peers.freeport()
code, err = qmqpc("127.0.0.1:%d\n127.0.0.1:%d\n" % (closed, port), msg, b"a@example.org", [b"demo@localhost"])
tap.is_(code, 0, "qmail-qmqpc: the first server is down, the second takes it", err)
got = wait_for(lambda: inst.maildir_new(), 20)
tap.ok(got, "delivered to the Maildir", inst.logtext())
if got:
    data = open(got[0], "rb").read()
    tap.ok(data.endswith(msg), "byte-identical after the added trace lines", data)
    head = data[:len(data) - len(msg)]
    tap.ok(all(l.split(b":")[0] in (b"Return-Path", b"Delivered-To", b"Received") or l.startswith((b" ", b"\t"))
               for l in head.split(b"\n")[:-1]), "only trace lines added", head)
tap.ok(b"accepted from 127.0.0.1" in open(os.path.join(inst.home, "qmqpd.log"), "rb").read(), "qmail-qmqpd logs the client")

code, err = qmqpc("127.0.0.1:%d\n" % closed, msg, b"a@example.org", [b"demo@localhost"])
tap.is_(code, 73, "no server reachable: 73", err)
code, err = qmqpc("", msg, b"a@example.org", [b"demo@localhost"])
tap.is_(code, 55, "no server configured: 55", err)
code, err = qmqpc("nonsense\n", msg, b"a@example.org", [b"demo@localhost"])
tap.is_(code, 55, "a server that is no address: 55", err)


def raw(data, shut=True):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            d = s.recv(4096)
            if not d:
                return out
            out += d


for data, name in ((b"012:1:x,0:,3:a@b,,", "leading zero"), (b"x", "no length"), (b"13:1:x,0:,3:a@b,;", "wrong terminator"),
                   (b"7:1:x,0:,,", "no recipient"), (b"14:1:x,0:,04:a@b,,", "inner leading zero"),
                   (b"99999999999:", "huge length"), (b"13:2:x,0:,3:a@b,,", "inner length wrong")):
    out = raw(data)
    tap.ok(out.split(b":", 1)[-1].startswith(b"D"), "bad packet refused with D: " + name, out)
tap.is_(raw(b"20:1:x,0:,3:a@b", True), b"", "a packet cut short: no answer")

inst.put("control/databytes", "10\n")
code, err = qmqpc("127.0.0.1:%d\n" % port, msg, b"a@example.org", [b"demo@localhost"])
tap.is_(code, 31, "over databytes: refused for good (31)", err)
tap.ok(b"Message too big" in err, "with the server's reason", err)
os.unlink(os.path.join(inst.home, "control", "databytes"))
code, err = qmqpc("127.0.0.1:%d\n" % port, b"x\n", b"", [b"demo@localhost", b"demo@localhost.localdomain"])
tap.is_(code, 0, "null sender, two recipients", err)
tap.ok(wait_for(lambda: len(inst.maildir_new()) == 3, 20), "both delivered", inst.logtext())

srv.terminate()
srv.wait(timeout=10)
tap.is_(inst.stop(), 0, "qmail-send stopped")
tap.done()
