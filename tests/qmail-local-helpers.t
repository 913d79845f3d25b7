#!/usr/bin/env python3
"""preline, forward, bouncesaying, condredirect, except: run alone with the environment
qmail-local gives, and from a real .qmail through qmail-local, with a fake qmail-queue."""
import os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from qlocal import World

w = World()
USER = w.pw.pw_name
MSG = b"Subject: hi\n\nFrom the body\n"
QENV = {"UFLINE": "From a@example.net Sat Nov 21 06:40:00 2026\n", "RPLINE": "Return-Path: <a@example.net>\n",
        "DTLINE": "Delivered-To: joe@example.org\n", "NEWSENDER": "owner@example.org"}


def run(argv, message=MSG, env=QENV, **kw):
    w.qqreset()
    return w.run(argv, message, env, **kw)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# --- preline ---------------------------------------------------------------------------------
rc, out, err = run(["preline", "cat"])
tap.is_((rc, out), (0, QENV["UFLINE"].encode() + QENV["RPLINE"].encode() + QENV["DTLINE"].encode() + MSG),
        "preline: From_, Return-Path, Delivered-To, then the message")
rc, out, err = run(["preline", "-d", "cat"])
tap.is_(out, (QENV["UFLINE"] + QENV["RPLINE"]).encode() + MSG, "preline -d: no Delivered-To")
rc, out, err = run(["preline", "-f", "-r", "cat"])
tap.is_(out, QENV["DTLINE"].encode() + MSG, "preline -f -r: only Delivered-To")
rc, out, err = run(["preline", "-dfr", "sh", "-c", "cat; exit 7"])
tap.is_((rc, out), (7, MSG), "preline: the program's exit code is preline's")
rc, out, err = run(["preline", "sh", "-c", "exit 0"], message=MSG * 50000)
tap.is_((rc, err), (0, b""), "preline: a program that reads nothing and exits 0 is a success (no SIGPIPE)")
rc, out, err = run(["preline", "sh", "-c", "kill -9 $$"])
tap.ok(rc == 111 and b"crashed" in err, "preline: a crash is a temporary failure", (rc, err))
rc, out, err = run(["preline", "nonexistent-program-x"])
tap.ok(rc == 111 and b"unable to run nonexistent-program-x" in err, "preline: a program that cannot run: 111", (rc, err))
rc, out, err = run(["preline", "cat"], env={"DTLINE": None, "UFLINE": "x", "RPLINE": "y"})
tap.ok(rc == 100 and b"DTLINE not set" in err, "preline: $DTLINE unset: 100", (rc, err))

# --- forward ---------------------------------------------------------------------------------
rc, out, err = run(["forward", "x@example.com", "y@example.net"])
tap.ok(rc == 0 and re.match(rb"^forward: qp \d+\n$", out), "forward: exit 0 and qp", (rc, out, err))
tap.is_(w.qqsaw(), (QENV["DTLINE"].encode() + MSG, b"Fowner@example.org\0Tx@example.com\0Ty@example.net\0\0"),
        "forward: Delivered-To + message; sender $NEWSENDER, both recipients")
for code, want in ((31, 100), (53, 111)):
    rc, out, err = run(["forward", "x@example.com"], env=dict(QENV, QQ_EXIT=str(code)))
    tap.ok(rc == want and b"unable to forward" in err, "forward: qmail-queue %d gives %d" % (code, want), (rc, err))
rc, out, err = run(["forward", "x@example.com"], env=dict(QENV, NEWSENDER=None))
tap.ok(rc == 100 and b"NEWSENDER not set" in err and w.qqsaw() is None, "forward: $NEWSENDER unset: 100, nothing queued", err)

# --- bouncesaying ----------------------------------------------------------------------------
rc, out, err = run(["bouncesaying", "Go away. (#5.7.1)"])
tap.is_((rc, err), (100, b"Go away. (#5.7.1)\n"), "bouncesaying: the text alone, exit 100")
rc, out, err = run(["bouncesaying", "Go away.", "sh", "-c", "echo checked; exit 0"])
tap.is_((rc, out, err), (100, b"checked\n", b"Go away.\n"), "bouncesaying: program exit 0: bounce")
rc, out, err = run(["bouncesaying", "Go away.", "sh", "-c", "exit 1"])
tap.is_((rc, err), (0, b""), "bouncesaying: program exit 1: accept")
rc, out, err = run(["bouncesaying", "Go away.", "sh", "-c", "exit 111"])
tap.ok(rc == 111 and b"Go away" not in err, "bouncesaying: program exit 111: temporary", err)
rc, out, err = run(["bouncesaying", "Go away.", "nonexistent-program-x"])
tap.is_(rc, 111, "bouncesaying: program that cannot run: temporary")

# --- except ----------------------------------------------------------------------------------
for code, want in ((0, 100), (100, 0), (111, 111), (3, 3), (99, 99)):
    rc, out, err = run(["except", "sh", "-c", "exit %d" % code])
    tap.is_(rc, want, "except: program exit %d gives %d" % (code, want))
rc, out, err = run(["except", "nonexistent-program-x"])
tap.is_(rc, 111, "except: program that cannot run: temporary")

# --- condredirect ----------------------------------------------------------------------------
rc, out, err = run(["condredirect", "new@example.com", "sh", "-c", "cat > /dev/null; exit 0"])
tap.ok(rc == 99 and re.match(rb"^condredirect: qp \d+\n$", out), "condredirect: program exit 0: forwarded, exit 99", (rc, out, err))
tap.is_(w.qqsaw(), (QENV["DTLINE"].encode() + MSG, b"Fowner@example.org\0Tnew@example.com\0\0"),
        "condredirect: the whole message (reread after the program read it), one recipient")
rc, out, err = run(["condredirect", "new@example.com", "sh", "-c", "exit 1"])
tap.ok(rc == 0 and w.qqsaw() is None, "condredirect: program exit 1: nothing forwarded, exit 0", (rc, err))
rc, out, err = run(["condredirect", "new@example.com", "sh", "-c", "exit 111"])
tap.ok(rc == 111 and w.qqsaw() is None, "condredirect: program exit 111: temporary", (rc, err))
rc, out, err = run(["condredirect", "new@example.com", "true"], env=dict(QENV, QQ_EXIT="31"))
tap.is_(rc, 100, "condredirect: qmail-queue refuses for good: 100")

# --- through qmail-local ---------------------------------------------------------------------
h = w.home()
w.file(os.path.join(h, ".qmail"),
       "|condredirect boss@example.com grep -q '^Subject: urgent'\n"
       "|bouncesaying 'No spam here. (#5.7.1)' grep -q '^Subject: spam'\n"
       "|preline cat > mbox.out\n"
       "|forward copy@example.net\n")
for subject, rc_want, name in ((b"urgent", 0, "urgent: redirected"), (b"spam", 100, "spam: bounced"), (b"hello", 0, "hello: kept")):
    for f in ("mbox.out",):
        if os.path.exists(os.path.join(h, f)):
            os.unlink(os.path.join(h, f))
    w.give(h)
    w.qqreset()
    rc, out, err = w.run(["qmail-local", USER, h, "joe", "", "", "example.org", "a@example.net", "./Mailbox"],
                         b"Subject: " + subject + b"\n\nbody\n")
    saw = w.qqsaw()
    if subject == b"urgent":
        ok = rc == 0 and saw and saw[1] == b"Fa@example.net\0Tboss@example.com\0\0" and b"did 0+0+1" in out \
            and not os.path.exists(os.path.join(h, "mbox.out"))
    elif subject == b"spam":
        ok = rc == 100 and err.endswith(b"No spam here. (#5.7.1)\n") and saw is None
    else:
        mb = os.path.join(h, "mbox.out")
        ok = rc == 0 and os.path.exists(mb) and read(mb).startswith(b"From a@example.net ") \
            and b"Return-Path: <a@example.net>\nDelivered-To: joe@example.org\nSubject: hello\n" in read(mb) \
            and saw and saw[1] == b"Fa@example.net\0Tcopy@example.net\0\0" and b"did 0+0+4" in out
    tap.ok(ok, "in a .qmail, " + name, (rc, out, err, saw))
tap.done()
