#!/usr/bin/env python3
"""The delivery system end to end: qmail-start with qmail-send, qmail-todo, qmail-clean,
qmail-lspawn and qmail-local in a real instance; mail queued with qmail-queue, read back
with Python's mailbox, bounces parsed with email, the log in qmail's vocabulary, and a
clean stop that leaves no process behind."""
import email, email.policy, email.utils, mailbox, os, re, signal, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from instance import Instance, wait_for

inst = Instance()
inst.start()

body = b"From: someone@example.org\nTo: demo@localhost\nSubject: first\n\nHello.\nFrom the queue.\n"
tap.is_(inst.queue(body, "someone@example.org", ["demo@localhost"]), 0, "queued for demo")
got = wait_for(lambda: inst.maildir_new())
tap.is_(len(got), 1, "delivered into demo's Maildir/new", inst.logtext())
md = mailbox.Maildir(os.path.join(inst.demo, "Maildir"), factory=None, create=False)
msgs = [m for k, m in md.items()]
if msgs:
    m = msgs[0]
    tap.is_(m["Return-Path"], "<someone@example.org>", "Return-Path from the envelope")
    tap.is_(m["Delivered-To"], "demo@localhost", "Delivered-To")
    tap.ok(re.match(r"\(qmail \d+ invoked by uid \d+\); ", m["Received"] or ""), "qmail-queue's Received line", m["Received"])
    tap.is_(m.get_payload(), "Hello.\nFrom the queue.\n", "body byte-exact")
wait_for(lambda: not inst.queued())
tap.is_(inst.queued(), [], "queue empty after delivery")
log = inst.logtext()
for pat in [r"new msg (\d+)\n", r"info msg \d+: bytes \d+ from <someone@example.org> qp \d+ uid \d+\n",
            r"starting delivery 1: msg \d+ to local demo@localhost\n", r"delivery 1: success: ",
            r"end msg \d+\n", r"status: local 0/10 remote 0/20\n"]:
    tap.ok(re.search(pat, log), "log: " + pat.replace("\\", ""), log)

# an extension address (demo has a .qmail-ext), and several recipients in one message
inst.put("users/demo/.qmail-ext", "./Maildir/\n")
tap.is_(inst.queue(b"Subject: two\n\nx\n", "a@example.org", ["demo-ext@localhost", "demo@localhost"]), 0, "queued for two")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == 3), "both delivered", inst.logtext())

# a program delivery sees the message from offset 0, even if it rewinds (no queue header)
inst.put("users/demo/.qmail-prog", "|cat > prog.out\n|python3 -c 'import os,sys; os.lseek(0, 0, 0); sys.stdout.buffer.write(sys.stdin.buffer.read())' > rewound.out\n")
tap.is_(inst.queue(b"Subject: prog\n\nfor a program\n", "a@example.org", ["demo-prog@localhost"]), 0, "queued for a program")
progout = os.path.join(inst.demo, "prog.out")
rewound = os.path.join(inst.demo, "rewound.out")
tap.ok(wait_for(lambda: os.path.exists(rewound) and os.path.getsize(rewound) > 0), "both programs ran", inst.logtext())
if os.path.exists(rewound):
    a, b = open(progout, "rb").read(), open(rewound, "rb").read()
    tap.ok(a.startswith(b"Received: (qmail ") and a.endswith(b"Subject: prog\n\nfor a program\n"), "program got the message", a[:200])
    tap.is_(b, a, "a program that rewinds sees the same bytes, not the queue header")

# through sendmail -t and qmail-inject: Date and Message-ID added, Bcc gone; mbox, forward,
# -default and the catch-all (qmail's ~alias, here a users/assign "+" line) in one go
inst.put("users/demo/.qmail-box", "./Mbox\n")
inst.put("users/demo/.qmail-fwd", "&demo-box@localhost\n")
inst.put("users/demo/.qmail-lists-default", "./Maildir/\n")
os.makedirs(os.path.join(inst.users, "alias", "Maildir", "new"))
for d in ("tmp", "cur"):
    os.makedirs(os.path.join(inst.users, "alias", "Maildir", d))
inst.put("users/alias/.qmail-default", "./Maildir/\n")
u, g = inst.pw.pw_uid, inst.pw.pw_gid
inst.put("users/assign", "=demo:%s:%d:%d:%s:::\n+demo-:%s:%d:%d:%s:-::\n+:%s:%d:%d:%s:-::\n.\n"
         % (inst.pw.pw_name, u, g, inst.demo, inst.pw.pw_name, u, g, inst.demo, inst.pw.pw_name, u, g, os.path.join(inst.users, "alias")))
inst.give()
tap.is_(inst.run(["qmail-newu"]).returncode, 0, "users/assign with a catch-all recompiled")
n = len(inst.maildir_new())
msg = (b"From: Someone <someone@localhost>\nTo: demo-fwd@localhost, demo-lists-x@localhost\n"
       b"Cc: whoever@localhost\nBcc: demo@localhost\nSubject: via sendmail\n\nbody via sendmail\n")
p = inst.run(["sendmail", "-t", "-f", "someone@localhost"], stdin=msg)
tap.is_(p.returncode, 0, "sendmail -t accepted it", p.stderr)
tap.ok(wait_for(lambda: len(inst.maildir_new()) == n + 2), "Bcc and -default copies in demo's Maildir", inst.logtext())
mbox_path = os.path.join(inst.demo, "Mbox")
tap.ok(wait_for(lambda: os.path.exists(mbox_path) and b"body via sendmail" in open(mbox_path, "rb").read()), "forward to demo-box reached the mbox", inst.logtext())
alias_new = os.path.join(inst.users, "alias", "Maildir", "new")
tap.ok(wait_for(lambda: os.listdir(alias_new)), "an unknown local part went to the catch-all", inst.logtext())
viasendmail = [email.message_from_bytes(open(p, "rb").read()) for p in inst.maildir_new()]
viasendmail = [m for m in viasendmail if m["Subject"] == "via sendmail"]
tap.is_(len(viasendmail), 2, "two copies via sendmail in demo's Maildir")
for m in viasendmail:
    tap.ok(m["Date"] and email.utils.parsedate_to_datetime(m["Date"]) is not None, "qmail-inject added a Date", m["Date"])
    tap.ok(re.match(r"<[^@<>]+@[^@<>]+>$", m["Message-ID"] or ""), "and a Message-ID", m["Message-ID"])
    tap.ok(m["Bcc"] is None, "Bcc removed")
    tap.is_(m["Return-Path"], "<someone@localhost.localdomain>", "envelope sender from -f, completed by qmail-inject")
if os.path.exists(mbox_path):
    boxed = list(mailbox.mbox(mbox_path))
    tap.is_(len(boxed), 1, "one message in the mbox")
    if boxed:
        tap.ok(boxed[0]["Delivered-To"] is not None and "demo-box@localhost" in boxed[0].get_all("Delivered-To"), "mbox copy has its Delivered-To", boxed[0].get_all("Delivered-To"))
        tap.ok(boxed[0].get_from().startswith("someone@localhost.localdomain "), "mbox From_ line names the envelope sender", boxed[0].get_from())
inst.put("users/assign", "=demo:%s:%d:%d:%s:::\n+demo-:%s:%d:%d:%s:-::\n.\n" % (inst.pw.pw_name, u, g, inst.demo, inst.pw.pw_name, u, g, inst.demo))
tap.is_(inst.run(["qmail-newu"]).returncode, 0, "catch-all removed again")

# a recipient nobody owns: a bounce to the sender, a multipart/report naming the recipient
n = len(inst.maildir_new())
tap.is_(inst.queue(b"Subject: lost\n\nwhere?\n", "demo@localhost", ["nobody-here@localhost"]), 0, "queued for an unknown user")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == n + 1), "the bounce came back to the sender", inst.logtext())
bounce = None
for path in inst.maildir_new():
    m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
    if m.get_content_type() == "multipart/report":
        bounce = m
tap.ok(bounce is not None, "bounce is multipart/report")
if bounce:
    tap.is_(bounce.get_param("report-type"), "delivery-status", "report-type delivery-status")
    parts = list(bounce.iter_parts())
    tap.is_([p.get_content_type() for p in parts], ["text/plain", "message/delivery-status", "message/rfc822"], "the three parts")
    human = parts[0].get_content()
    tap.ok("Hi. This is the qmail-send program at localhost." in human and "<nobody-here@localhost>:" in human, "qmail's human text names the recipient", human)
    tap.ok("(#5.1.1)" in human, "and the reason", human)
    status = parts[1].get_payload()
    fields = {}
    for block in status:
        for k, v in block.items():
            fields.setdefault(k, []).append(v)
    tap.is_(fields.get("Final-Recipient"), ["rfc822; nobody-here@localhost"], "DSN Final-Recipient")
    tap.is_(fields.get("Status"), ["5.1.1"], "DSN Status")
    tap.is_(fields.get("Action"), ["failed"], "DSN Action")
    tap.ok(b"where?" in parts[2].get_content().as_bytes(), "original attached")
    tap.is_(bounce["Return-Path"], "<>", "bounce sent with the null sender")
log = inst.logtext()
tap.ok(re.search(r"delivery \d+: failure: ", log) and re.search(r"bounce msg \d+ to <demo@localhost>", log), "failure and bounce logged", log)

# a bounce of a bounce goes to doublebounceto; a failing double bounce is dropped
inst.put("control/doublebounceto", "demo\n")
inst.signal(signal.SIGHUP)
n = len(inst.maildir_new())
tap.is_(inst.queue(b"Subject: bounce\n\n", "", ["nobody-either@localhost"]), 0, "queued a bounce for an unknown user")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == n + 1), "double bounce delivered to doublebounceto", inst.logtext())

# VERP: a sender "prefix-@host-@[]" is expanded for each recipient
n = len(inst.maildir_new())
tap.is_(inst.queue(b"Subject: verp\n\n", "list-@lists.example-@[]", ["demo@localhost"]), 0, "queued with a VERP sender")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == n + 1), "VERP message delivered", inst.logtext())
verp = [email.message_from_bytes(open(p, "rb").read()) for p in inst.maildir_new()]
tap.ok(any(m["Return-Path"] == "<list-demo=localhost@lists.example>" for m in verp), "Return-Path is the recipient's VERP form",
       [m["Return-Path"] for m in verp])

# an empty doublebounceto discards double bounces
inst.put("control/doublebounceto", "")
inst.signal(signal.SIGHUP)
tap.ok(wait_for(lambda: inst.logtext().count("hup: reread the control files") >= 2), "HUP logged")
n = len(inst.maildir_new())
tap.is_(inst.queue(b"Subject: bounce2\n\n", "", ["nobody-at-all@localhost"]), 0, "queued another bounce for an unknown user")
tap.ok(wait_for(lambda: re.search(r"double bounce: discarding bounce/\d+", inst.logtext())), "double bounce discarded", inst.logtext())
tap.is_(len(inst.maildir_new()), n, "and nothing delivered")

# a HUP with a broken control file: qmail-send and qmail-todo say so and keep the old values
inst.put("control/queuelifetime", "one week\n")
os.mkdir(os.path.join(inst.home, "control", "envnoathost"))  # unreadable: a directory
inst.signal(signal.SIGHUP)
tap.ok(wait_for(lambda: "hup: a control file is unreadable, the old values stay" in inst.logtext()), "HUP with a broken control file logged", inst.logtext())
n = len(inst.maildir_new())
tap.is_(inst.queue(b"Subject: after a bad hup\n\n", "me@example.org", ["demo@localhost"]), 0, "queued after the bad HUP")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == n + 1), "still delivered with the old values (qmail-send and qmail-todo alive)", inst.logtext())
os.rmdir(os.path.join(inst.home, "control", "envnoathost"))
os.unlink(os.path.join(inst.home, "control", "queuelifetime"))
k = inst.logtext().count("hup: reread the control files")
inst.signal(signal.SIGHUP)
tap.ok(wait_for(lambda: inst.logtext().count("hup: reread the control files") == k + 1), "fixed, the next HUP rereads them")
n = len(inst.maildir_new())

# a second qmail-send on the same queue refuses to run
p = inst.run(["qmail-start", "./Maildir/"])
tap.is_(p.returncode, 111, "a second qmail-start exits 111")
tap.ok(b"another qmail-send is running" in p.stdout + p.stderr, "and says why", p.stdout + p.stderr)
tap.is_(inst.queue(b"Subject: still\n\n", "a@example.org", ["demo@localhost"]), 0, "queued after the refused start")
tap.ok(wait_for(lambda: len(inst.maildir_new()) == n + 1), "the first system still delivers", inst.logtext())

tap.is_(inst.stop(), 0, "SIGTERM: qmail-send exits 0")
tap.is_(inst.ours(), [], "no process of the instance left")
tap.is_(inst.queued(), [], "queue empty at the end")
tap.done()
