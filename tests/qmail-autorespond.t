#!/usr/bin/env python3
"""qmail-autorespond run as qmail-local runs a .qmail program, with a fake qmail-queue: whom it
answers and how often (-t, -n, the state in DIR/sent), every case it must not answer, the
reply's header and envelope, its failures; then once end to end in a real instance."""
import email, email.policy, email.utils, hashlib, os, re, shutil, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from qlocal import World
from instance import Instance, wait_for

w = World()
shutil.copy(os.path.join(tap.TOP, "qmail-local", "qmail-autorespond"), w.bin)
ENV = {"SENDER": "a@example.net", "RECIPIENT": "joe@example.org", "DTLINE": "Delivered-To: joe@example.org\n",
       "LOCAL": "joe", "HOST": "example.org"}
TEXT = "Subject: Away\nX-Note: kept\n\nI am away until Monday.\n"


def message(fields=(), to="Joe <joe@example.org>", subject="Hello", msgid="<m1@example.net>"):
    head = ["From: A <a@example.net>"]
    if to is not None:
        head.append("To: " + to)
    if subject is not None:
        head.append("Subject: " + subject)
    if msgid is not None:
        head.append("Message-ID: " + msgid)
    return ("\n".join(head + list(fields)) + "\n\nHi there.\n").encode()


def responder(text=TEXT, addresses=None):
    """A fresh DIR with its message (and addresses) file, owned by the delivering user."""
    d = w.home(0o700)
    w.file(os.path.join(d, "message"), text)
    if addresses is not None:
        w.file(os.path.join(d, "addresses"), addresses)
    w.give(d)
    return d


def respond(d, msg=None, env=None, args=()):
    """Run it on msg: (exit code, stdout, stderr, (message, envelope) queued or None)."""
    w.qqreset()
    e = dict(ENV)
    e.update(env or {})
    rc, out, err = w.run(["qmail-autorespond"] + list(args) + [d], message() if msg is None else msg, e)
    return rc, out, err, w.qqsaw()


def statefile(d, sender):
    return os.path.join(d, "sent", hashlib.sha256(sender.lower().encode()).hexdigest())


def age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


# --- answered once, then not within -t, then again after it ----------------------------------
d = responder()
rc, out, err, saw = respond(d)
tap.ok(rc == 0 and re.match(rb"^qmail-autorespond: qp \d+\n$", out) and err == b"", "first message: answered, qp printed", (rc, out, err))
tap.ok(saw is not None, "a reply was queued")
if saw:
    tap.is_(saw[1], b"F\0Ta@example.net\0\0", "envelope: null sender, the recipient is $SENDER")
    r = email.message_from_bytes(saw[0], policy=email.policy.default)
    tap.is_(r["From"], "joe@example.org", "From: $RECIPIENT")
    tap.is_(r["To"], "a@example.net", "To: $SENDER")
    tap.is_(r["Subject"], "Away", "Subject from DIR/message")
    tap.is_(r["Auto-Submitted"], "auto-replied", "Auto-Submitted: auto-replied")
    tap.is_(r["X-Loop"], "joe@example.org", "X-Loop: the recipient")
    tap.is_(r["In-Reply-To"], "<m1@example.net>", "In-Reply-To: the original Message-ID")
    tap.is_(r["References"], "<m1@example.net>", "References: the original Message-ID")
    tap.ok(r["Date"] and email.utils.parsedate_to_datetime(r["Date"]) is not None, "Date parses", r["Date"])
    tap.ok(re.match(r"^<\d+\.\d+\.qmail-autorespond@example\.org>$", r["Message-ID"] or ""), "Message-ID", r["Message-ID"])
    tap.is_(r["X-Note"], "kept", "other fields of DIR/message kept")
    tap.is_(r.get_content(), "I am away until Monday.\n", "body of DIR/message")
    tap.ok(saw[0].startswith(b"From: joe@example.org\nTo: a@example.net\n") and b"\n\nI am away" in saw[0], "header then body, one empty line", saw[0])
st = statefile(d, "a@example.net")
tap.ok(os.path.exists(st), "state file in DIR/sent named by the address's hash")
if os.path.exists(st):
    tap.is_(open(st, "rb").read(), b"1\na@example.net\n", "state: one reply, the address")
    tap.is_(sorted(os.listdir(os.path.join(d, "sent"))), sorted([os.path.basename(st), "lock"]), "no temporary file left")

rc, out, err, saw = respond(d)
tap.ok(rc == 0 and saw is None and out == b"", "second message within -t: not answered", (rc, out, saw))
tap.ok(b"qmail-autorespond: info: not answering <a@example.net>: " in err, "and the reason logged to stderr", err)
rc, out, err, saw = respond(d, env={"SENDER": "A@EXAMPLE.NET"})
tap.ok(rc == 0 and saw is None, "the same sender in another case: not answered", (rc, err))
rc, out, err, saw = respond(d, env={"SENDER": "b@example.net"})
tap.ok(rc == 0 and saw is not None and saw[1] == b"F\0Tb@example.net\0\0", "another sender: answered", (rc, err))

age(st, 7 * 86400 + 60)
rc, out, err, saw = respond(d)
tap.ok(rc == 0 and saw is not None, "after 7 days (state file made old): answered again", (rc, err))
tap.ok(abs(os.stat(st).st_mtime - time.time()) < 60, "state file renewed")
age(st, 7 * 86400 - 3600)
rc, out, err, saw = respond(d)
tap.ok(rc == 0 and saw is None, "an hour before the 7 days are over: not answered", (rc, err))

d = responder()
rc, out, err, saw = respond(d, args=["-t", "60"])
age(statefile(d, "a@example.net"), 30)
rc, out, err, saw = respond(d, args=["-t", "60"])
tap.ok(rc == 0 and saw is None, "-t 60: not again after 30 s", (rc, err))
age(statefile(d, "a@example.net"), 61)
rc, out, err, saw = respond(d, args=["-t", "60"])
tap.ok(rc == 0 and saw is not None, "-t 60: again after 61 s", (rc, err))

d = responder()
got = [respond(d, args=["-n", "2"])[3] is not None for i in range(3)]
tap.is_(got, [True, True, False], "-n 2: two replies, not a third")
tap.is_(open(statefile(d, "a@example.net"), "rb").read(), b"2\na@example.net\n", "state counts two replies")
mtime = os.stat(statefile(d, "a@example.net")).st_mtime
age(statefile(d, "a@example.net"), 8 * 86400)
got = [respond(d, args=["-n", "2"])[3] is not None for i in range(3)]
tap.is_(got, [True, True, False], "-n 2: a new window after -t")

# --- never answer ------------------------------------------------------------------------------
NEVER = [
    ("null sender", {"SENDER": ""}, message(), "null sender"),
    ("#@[] sender", {"SENDER": "#@[]"}, message(), "null sender"),
    ("MAILER-DAEMON", {"SENDER": "MAILER-DAEMON@example.net"}, message(), "robot"),
    ("postmaster", {"SENDER": "postmaster@example.net"}, message(), "robot"),
    ("*-request", {"SENDER": "list-request@example.net"}, message(), "robot"),
    ("owner-*", {"SENDER": "owner-list@example.net"}, message(), "robot"),
    ("*-owner", {"SENDER": "list-owner@example.net"}, message(), "robot"),
    ("listserv", {"SENDER": "LISTSERV@example.net"}, message(), "robot"),
    ("majordomo", {"SENDER": "majordomo@example.net"}, message(), "robot"),
    ("sender without domain", {"SENDER": "someone"}, message(), "unusable"),
    ("the recipient itself", {"SENDER": "joe@example.org"}, message(), "itself"),
    ("Auto-Submitted: auto-generated", {}, message(["Auto-Submitted: auto-generated"]), "Auto-Submitted"),
    ("Auto-Submitted: auto-replied", {}, message(["Auto-Submitted: auto-replied"]), "Auto-Submitted"),
    ("Precedence: bulk", {}, message(["Precedence: bulk"]), "Precedence"),
    ("Precedence: list", {}, message(["Precedence: list"]), "Precedence"),
    ("Precedence: junk", {}, message(["Precedence: junk"]), "Precedence"),
    ("List-Id", {}, message(["List-Id: A list <a.list.example.net>"]), "mailing list"),
    ("List-Unsubscribe", {}, message(["List-Unsubscribe: <mailto:leave@example.net>"]), "mailing list"),
    ("List-Post", {}, message(["List-Post: <mailto:list@example.net>"]), "mailing list"),
    ("X-Loop", {}, message(["X-Loop: joe@example.org"]), "X-Loop"),
    ("Delivered-To", {}, message(["Delivered-To: joe@example.org"]), "Delivered-To"),
    ("not in To or Cc", {}, message(to="list@example.net"), "not in To"),
    ("no To at all", {}, message(to=None), "not in To"),
]
for name, env, msg, why in NEVER:
    d = responder()
    rc, out, err, saw = respond(d, msg, env)
    tap.ok(rc == 0 and saw is None and out == b"" and why.encode() in err and b"not answering" in err
           and not os.path.exists(os.path.join(d, "sent")), "never answer: " + name, (rc, out, err, saw))

ALWAYS = [
    ("Auto-Submitted: no", {}, message(["Auto-Submitted: no"]), []),
    ("Precedence: first-class", {}, message(["Precedence: first-class"]), []),
    ("recipient in Cc", {}, message(["Cc: other@example.net, JOE@example.org"], to="x@example.net"), []),
    ("X-Loop of another address", {}, message(["X-Loop: other@example.net"]), []),
    ("not addressed, with -a", {}, message(to="list@example.net"), ["-a"]),
    ("$DTLINE's address in To", {"RECIPIENT": "joe-vacation@example.org"}, message(), []),
]
for name, env, msg, args in ALWAYS:
    d = responder()
    rc, out, err, saw = respond(d, msg, env, args)
    tap.ok(rc == 0 and saw is not None, "answer: " + name, (rc, out, err))

d = responder(addresses="# my other addresses\n\n  joe.bloggs@example.com \n")
rc, out, err, saw = respond(d, message(to="Joe Bloggs <Joe.Bloggs@example.com>"))
tap.ok(rc == 0 and saw is not None, "an address from DIR/addresses in To: answered", (rc, err))
rc, out, err, saw = respond(d, message(to="other@example.com"))
tap.ok(rc == 0 and saw is None and b"not in To" in err, "and only those", (rc, err))

# its own reply, fed back to it: not answered, whatever the envelope says
d = responder()
rc, out, err, saw = respond(d)
if saw:
    own = saw[0]
    for sender, why in (("", b"null sender"), ("someone@example.net", b"Auto-Submitted")):
        d2 = responder()
        rc, out, err, saw2 = respond(d2, own, {"SENDER": sender, "RECIPIENT": "a@example.net", "DTLINE": "Delivered-To: a@example.net\n"})
        tap.ok(rc == 0 and saw2 is None and why in err, "its own reply is not answered (sender <%s>)" % sender, (rc, err))
    d2 = responder()
    rc, out, err, saw2 = respond(d2, own.replace(b"Auto-Submitted: auto-replied\n", b""), {"SENDER": "someone@example.net"})
    tap.ok(rc == 0 and saw2 is None and b"X-Loop" in err, "without Auto-Submitted, X-Loop still stops it", (rc, err))

# --- the reply's subject, text and thread --------------------------------------------------------
d = responder(text="X-Note: no subject here\n\nAway.\n")
rc, out, err, saw = respond(d, message(subject="Lunch?"))
r = email.message_from_bytes(saw[0], policy=email.policy.default) if saw else {}
tap.is_(r["Subject"] if saw else None, "Re: Lunch?", "no Subject in DIR/message: Re: and the original's")
d = responder(text="Away.\nBack Monday.\n")
rc, out, err, saw = respond(d, message(subject="Re: Lunch?", msgid=None, fields=["References: <r1@x>"]))
r = email.message_from_bytes(saw[0], policy=email.policy.default) if saw else None
tap.ok(r is not None and r["Subject"] == "Re: Lunch?" and r.get_content() == "Away.\nBack Monday.\n"
       and r["In-Reply-To"] is None and r["References"] == "<r1@x>", "a text without header is all body; no Message-ID: no In-Reply-To", saw)
d = responder(text="From: Joe Bloggs <joe@example.org>\nTo: nobody@example.com\nBcc: spy@example.com\nSubject: Away\n\nAway.\n")
rc, out, err, saw = respond(d, message(fields=["References: <r0@x> <r1@x>"]))
r = email.message_from_bytes(saw[0], policy=email.policy.default) if saw else None
tap.ok(r is not None and r["From"] == "Joe Bloggs <joe@example.org>" and r["To"] == "a@example.net"
       and r["Bcc"] is None and len(r.get_all("To")) == 1 and saw[1] == b"F\0Ta@example.net\0\0", "From of DIR/message kept, its To and Bcc dropped", saw)
tap.ok(r is not None and r["References"].split() == ["<r0@x>", "<r1@x>", "<m1@example.net>"], "References: the original's, then its Message-ID", r and r["References"])

# --- failures -------------------------------------------------------------------------------------
d = responder()
rc, out, err, saw = respond(d, env={"QQ_EXIT": "53"})
tap.ok(rc == 111 and b"unable to queue the reply" in err, "qmail-queue fails for now: 111", (rc, err))
tap.ok(not os.path.exists(statefile(d, "a@example.net")) and os.listdir(os.path.join(d, "sent")) == ["lock"], "and nothing recorded", os.listdir(os.path.join(d, "sent")))
rc, out, err, saw = respond(d)
tap.ok(rc == 0 and saw is not None, "the retry answers", (rc, err))
d = responder()
rc, out, err, saw = respond(d, env={"QQ_EXIT": "31"})
tap.ok(rc == 0 and b"warning: unable to queue the reply to a@example.net" in err and not os.path.exists(statefile(d, "a@example.net")),
       "qmail-queue refuses for good: warning, exit 0 (the message is still delivered), nothing recorded", (rc, err))
rc, out, err, saw = respond(d, env={"QMAILQUEUE": os.path.join(w.top, "no-such-qmail-queue")})
tap.ok(rc == 111, "qmail-queue cannot run: 111", (rc, err))
rc, out, err, saw = respond(os.path.join(w.top, "no-such-dir"))
tap.ok(rc == 111 and b"unable to open" in err and saw is None, "DIR missing: 111", (rc, err))
d = responder()
os.unlink(os.path.join(d, "message"))
rc, out, err, saw = respond(d)
tap.ok(rc == 111 and b"/message" in err and saw is None, "DIR/message missing: 111", (rc, err))
d = responder()
rc, out, err, saw = respond(d, message(["Precedence: bulk"]))
tap.ok(rc == 0 and saw is None, "DIR/message is not needed when not answering", (rc, err))
d = responder()
os.mkdir(os.path.join(d, "sent"), 0o500)
w.give(d)
rc, out, err, saw = respond(d)
tap.ok(rc == 111 and saw is None, "DIR/sent not writable: 111, nothing queued", (rc, err))
rc, out, err, saw = respond(responder(), env={"SENDER": None})
tap.ok(rc == 100 and b"SENDER not set" in err, "$SENDER unset: 100", (rc, err))

# two deliveries from one sender at once: one reply (DIR/sent/lock)
SLOWQQ = "#!/bin/sh\nsleep 0.5\ncat > \"$QQ_DIR/message.$$\"\ncat <&1 > /dev/null\n"
slow = os.path.join(w.bin, "slow-qmail-queue")
w.file(slow, SLOWQQ, 0o755)
d = responder()
w.qqreset()
e = dict(ENV, QMAILQUEUE=slow)
procs = [w.spawn(["qmail-autorespond", d], message(), e) for i in range(2)]
res = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
tap.ok(all(x[2] == 0 for x in res) and len(os.listdir(w.qqdir)) == 1, "two at once: one reply", (res, os.listdir(w.qqdir)))

# --- end to end: .qmail-vacation in a real instance ------------------------------------------------
inst = Instance()
inst.start()
vac = os.path.join(inst.demo, "vacation")
os.mkdir(vac, 0o700)
inst.put("users/demo/vacation/message", "Subject: Out of the office\n\nBack on Monday.\n")
inst.put("users/demo/.qmail-vacation", "|%s vacation\n./Maildir/\n" % os.path.join(inst.bin, "qmail-autorespond"))
inst.put("users/demo/.qmail-other", "./Maildir/\n")
inst.give()
orig = b"From: demo-other@localhost\nTo: demo-vacation@localhost\nSubject: are you there?\nMessage-ID: <e2e.1@localhost>\n\nHello.\n"
tap.is_(inst.queue(orig, "demo-other@localhost", ["demo-vacation@localhost"]), 0, "queued for demo-vacation")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == 2), "the message and the reply in demo's Maildir", inst.logtext())
got = [email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default) for p in inst.maildir_new()]
mine = [m for m in got if m["Subject"] == "are you there?"]
replies = [m for m in got if m["Auto-Submitted"] == "auto-replied"]
tap.ok(len(mine) == 1 and mine[0]["Delivered-To"] == "demo-vacation@localhost", "the message delivered by the next line", [m["Subject"] for m in got])
tap.is_(len(replies), 1, "one reply")
if replies:
    rp = replies[0]
    tap.is_(rp["Return-Path"], "<>", "reply sent with the null envelope sender")
    tap.is_(rp["Delivered-To"], "demo-other@localhost", "to the envelope sender")
    tap.is_((rp["From"], rp["To"], rp["Subject"], rp["In-Reply-To"]),
            ("demo-vacation@localhost", "demo-other@localhost", "Out of the office", "<e2e.1@localhost>"), "reply's header")
    tap.is_(rp.get_content(), "Back on Monday.\n", "reply's body")
tap.is_(inst.queue(orig.replace(b"e2e.1", b"e2e.2"), "demo-other@localhost", ["demo-vacation@localhost"]), 0, "a second message")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == 3 and "not answering <demo-other@localhost>" in inst.logtext()),
       "delivered, not answered again, and the log says why", inst.logtext())
wait_for(lambda: not inst.queued())
tap.is_(len(inst.maildir_new()), 3, "no second reply")
tap.is_(inst.stop(), 0, "instance stopped")
tap.done()
