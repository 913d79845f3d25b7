#!/usr/bin/env python3
"""qmail-inject.t: the real program against a stand-in qmail-queue that saves the message (its
fd 0) and the envelope (its fd 1) and exits with a chosen code. The queued message is read with
Python's email package; the envelope is compared byte for byte."""
import email, email.policy, email.utils, os, re, stat, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch, run

for v in list(os.environ):
    if v.startswith("QMAIL") or v in ("USER", "LOGNAME", "NAME", "MAILUSER", "MAILHOST", "MAILNAME",
                                      "DEFAULTHOST", "DEFAULTDOMAIN", "PLUSDOMAIN", "IDHOST"):
        del os.environ[v]

T = scratch()
HOME = os.path.join(T, "home")
CAP = os.path.join(T, "cap")
os.makedirs(os.path.join(HOME, "control"))
os.makedirs(os.path.join(HOME, "bin"))
os.makedirs(CAP)
QQ = os.path.join(HOME, "bin", "fake-queue")
with open(QQ, "w") as f:
    f.write("""#!/bin/sh
# the stand-in qmail-queue: CAPNOREAD=1 exits at once without reading anything
[ -n "$CAPNOREAD" ] && exit "${CAPEXIT:-0}"
cat > "$CAPDIR/msg" || exit 54
cat <&1 > "$CAPDIR/env" || exit 54
exit "${CAPEXIT:-0}"
""")
os.chmod(QQ, 0o755)

def control(name, value):
    p = os.path.join(HOME, "control", name)
    if value is None:
        if os.path.lexists(p): os.remove(p)
    else:
        with open(p, "w") as f: f.write(value)

control("me", "me.example.com\n")
control("defaulthost", "dh\n")              # no dot: qualified with defaultdomain
control("defaultdomain", "example.com\n")
control("plusdomain", "plus.example.net\n")
control("idhost", "id.example.com\n")
DH = "dh.example.com"

def inject(args, stdin=b"", env=None, code=0):
    """Run qmail-inject; return (exit, stderr text, message bytes or None, envelope bytes or None)."""
    for x in ("msg", "env"):
        p = os.path.join(CAP, x)
        if os.path.exists(p): os.remove(p)
    e = {"QMAILHOME": HOME, "QMAILQUEUE": QQ, "CAPDIR": CAP, "CAPEXIT": str(code), "USER": "u"}
    if env: e.update(env)
    rc, out, err = run(["qmail-inject"] + args, stdin=stdin, env={k: v for k, v in e.items() if v is not None})
    def read(x):
        p = os.path.join(CAP, x)
        return open(p, "rb").read() if os.path.exists(p) else None
    return rc, err.decode("utf-8", "replace"), read("msg"), read("env")

def parse(msg):
    return email.message_from_bytes(msg, policy=email.policy.compat32)

def envelope(sender, *rcpts):
    return b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"

def header_body(msg):
    h, sep, b = msg.partition(b"\n\n")
    return h + b"\n", b

# -- the basic case: Date, Message-ID, From added; envelope byte-exact
before = time.time()
rc, err, msg, env = inject(["joe@example.org"], b"Subject: hello\n\nHi there.\n")
is_(rc, 0, "queued: exit 0")
is_(err, "", "nothing on stderr")
is_(env, envelope("u@" + DH, "joe@example.org"), "envelope: F user@defaulthost, T the argument, final NUL")
m = parse(msg)
d = email.utils.parsedate_to_datetime(m["Date"])
ok(abs(d.timestamp() - before) < 120, "Date parses and is now", m["Date"])
ok(re.search(r"[+-]\d{4}$", m["Date"]), "Date has a numeric zone", m["Date"])
mid = m["Message-ID"]
ok(re.fullmatch(r"<\d+\.\d+\.[A-Za-z0-9_-]+@id\.example\.com>", mid), "Message-ID well-formed, @idhost", mid)
is_(m["From"], "u@" + DH, "From added from USER and defaulthost")
is_(m["Cc"], "recipient list not shown: ;", "no To or Cc: qmail-header's Cc line added")
is_(m["Subject"], "hello", "Subject kept")
is_(header_body(msg)[1], b"Hi there.\n", "body kept")
ok(msg.startswith(b"Subject: hello\n"), "existing fields first, added ones after")

rc, err, msg2, env = inject(["joe@example.org"], b"Subject: hello\n\nHi there.\n")
ok(parse(msg2)["Message-ID"] != mid, "Message-ID differs between two messages")
ids = set()
for i in range(5):
    ids.add(parse(inject(["j@x.y"], b"")[2])["Message-ID"])
is_(len(ids), 5, "five messages, five Message-IDs")

# local time with its numeric zone
rc, err, msg, env = inject(["j@x.y"], b"", env={"TZ": "XST+5"})
m = parse(msg)
ok(m["Date"].endswith("-0500"), "Date in local time: TZ=XST+5 gives -0500", m["Date"])
ok(abs(email.utils.parsedate_to_datetime(m["Date"]).timestamp() - time.time()) < 120, "and it is still now")

# -- existing Date, Message-ID, From are kept
rc, err, msg, env = inject([], b"From: Boss <boss@corp.example>\nTo: joe@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
                                 b"Message-ID: <given@x>\n\nbody\n")
m = parse(msg)
is_((m["From"], m["Date"], m["Message-ID"]), ("Boss <boss@corp.example>", "Mon, 1 Jan 2024 00:00:00 +0000", "<given@x>"),
    "supplied From, Date, Message-ID kept")
is_(len(m.get_all("Date")), 1, "no second Date")
is_(m["Cc"], None, "To present: no Cc line added")
is_(env, envelope("u@" + DH, "joe@example.org"), "envelope sender from the environment, not from From")

# -- recipients from the header; Bcc, Return-Path, Content-Length removed
src = (b"To: a@example.org, B <b@example.org>\nCc: c@example.org\nBcc: hidden@example.org\n"
       b"Content-Length: 12\nSubject: s\n\nbody\n")
rc, err, msg, env = inject([], src)
is_(env, envelope("u@" + DH, "a@example.org", "b@example.org", "c@example.org", "hidden@example.org"),
    "no arguments: To, Cc, Bcc recipients, in order")
m = parse(msg)
is_((m["Bcc"], m["Content-Length"]), (None, None), "Bcc and Content-Length removed")
ok(b"hidden" not in msg, "the Bcc address is nowhere in the message")

# -- -a, -h, -H, -A
rc, err, msg, env = inject(["-a", "x@example.org"], src)
is_(env, envelope("u@" + DH, "x@example.org"), "-a: arguments only")
rc, err, msg, env = inject(["-h", "x@example.org"], src)
is_(env, envelope("u@" + DH, "a@example.org", "b@example.org", "c@example.org", "hidden@example.org"), "-h: header only")
rc, err, msg, env = inject(["-H", "x@example.org"], src)
is_(env, envelope("u@" + DH, "a@example.org", "b@example.org", "c@example.org", "hidden@example.org", "x@example.org"),
    "-H: header then arguments")
rc, err, msg, env = inject(["-h", "-A", "x@example.org"], src)
is_(env, envelope("u@" + DH, "x@example.org"), "-A (the last option wins): arguments when there are some")
rc, err, msg, env = inject(["-H", "a@example.org", "A@EXAMPLE.ORG"], src)
is_(env, envelope("u@" + DH, "a@example.org", "b@example.org", "c@example.org", "hidden@example.org", "A@EXAMPLE.ORG"),
    "duplicates dropped (domain without case, local part exact)")
rc, err, msg, env = inject(["-a"], src)
is_(rc, 100, "-a without arguments: no recipients, exit 100")

many = ["user%d@example.org" % i for i in range(20000)]
rc, err, msg, env = inject(["-H"] + many[10000:] + many[:100], ("To: " + ",\n ".join(many[:10000]) + "\n\n").encode())
is_(env, envelope("u@" + DH, *many), "20,000 recipients from header and arguments, 100 duplicates dropped, order kept")

# -- address rewriting: defaulthost, defaultdomain, plusdomain, source routes, missing commas
src = (b"To: joe, fred@silverton (Fred), Eric <eric@mammoth.cs+>, <@relay.example:route@r.example.org>\n"
       b"Cc: djb dan@box\nReply-To: me\nSubject: rules\n\n")
rc, err, msg, env = inject([], src)
m = parse(msg)
is_(m["To"], "joe@%s, fred@silverton.example.com (Fred), Eric <eric@mammoth.cs.plus.example.net>, <route@r.example.org>" % DH,
    "To rewritten in place: @defaulthost, .defaultdomain, .plusdomain, route dropped")
is_(m["Cc"], "djb@%s, dan@box.example.com" % DH, "djb dan@box -> djb, dan@box with hosts")
is_(m["Reply-To"], "me@" + DH, "sender fields rewritten too")
is_(env, envelope("u@" + DH, "joe@" + DH, "fred@silverton.example.com", "eric@mammoth.cs.plus.example.net",
                  "route@r.example.org", "djb@" + DH, "dan@box.example.com"), "envelope recipients rewritten alike")
rc, err, msg, env = inject(["bare", "x@host", "y@h+"], b"")
is_(env, envelope("u@" + DH, "bare@" + DH, "x@host.example.com", "y@h.plus.example.net"), "arguments rewritten alike")
rc, err, msg, env = inject(["Some One <one@example.org>, two@example.org"], b"")
is_(env, envelope("u@" + DH, "one@example.org", "two@example.org"), "an argument may be an address list")

# -- groups, comments, quoted strings, folding
src = (b"To: team: a@example.org, \"Bee, B.\" <b@example.org> (the bee);,\n"
       b"  undisclosed-recipients: ;,\n\t\"john doe\"@example.org (John (the) Doe)\n"
       b"Subject: a folded\n  subject line\n\n")
rc, err, msg, env = inject([], src)
is_(rc, 0, "groups and comments: queued")
is_(env, envelope("u@" + DH, "a@example.org", "b@example.org", "john doe@example.org"),
    "group members, display names, nested comments; quoted local part unquoted in the envelope")
ok(b"To: team: a@example.org, \"Bee, B.\" <b@example.org> (the bee);,\n  undisclosed-recipients: ;,\n\t\"john doe\"@example.org (John (the) Doe)\n" in msg,
   "folded To passed on byte for byte")
is_(parse(msg)["Subject"], "a folded\n  subject line", "folded Subject kept")

# -- bodies: 8-bit, NUL, CRLF, dots, From_ lines, no final newline
body = b"caf\xc3\xa9 \xff\x00\x01\r\n.\n..\nFrom the start\n\n\nlast line without newline"
rc, err, msg, env = inject(["j@x.y"], b"Subject: bytes\n\n" + body)
is_(header_body(msg)[1], body, "8-bit body byte-exact")
big = bytes(range(256)) * 4000
rc, err, msg, env = inject(["j@x.y"], b"Subject: big\n\n" + big)
is_(header_body(msg)[1], big, "1 MB binary body byte-exact")

# -- messages without a header, or whose header does not end in a blank line
rc, err, msg, env = inject(["j@x.y"], b"Just a body line.\nTo: not a header\n")
h, b = header_body(msg)
is_(b, b"Just a body line.\nTo: not a header\n", "no header: the whole input is the body")
m = parse(msg)
ok(m["Date"] and m["Message-ID"] and m["From"], "and a header is made")
is_(m["To"], None, "a field-like line in the body stays body")
rc, err, msg, env = inject(["j@x.y"], b"")
ok(msg.endswith(b"\n\n") and parse(msg)["From"], "empty input: a header and a blank line")
rc, err, msg, env = inject([], b"To: j@x.y\nSubject: no newline at the end")
is_(env, envelope("u@" + DH, "j@x.y"), "header without blank line nor final newline: read")
ok(msg.startswith(b"To: j@x.y\nSubject: no newline at the end\n") and msg.endswith(b"\n\n"), "newline added, blank line after")
rc, err, msg, env = inject([], b"To: j@x.y\nthis line is no field\nmore\n")
h, b = header_body(msg)
is_(b, b"this line is no field\nmore\n", "a line that is no field starts the body; a blank line is put before it")
rc, err, msg, env = inject([], b"To: j@x.y\r\nSubject: crlf\r\n\r\nbody\r\n")
ok(b"To: j@x.y\r\nSubject: crlf\r\n" in msg and msg.endswith(b"\n\r\nbody\r\n"), "CRLF input: line ends kept, the CRLF blank line ends the header and is kept", msg)
is_(env, envelope("u@" + DH, "j@x.y"), "CRLF input: recipient without CR")

# -- the envelope sender
src = b"Return-Path: <rp@example.org>\nTo: j@x.y\n\n"
rc, err, msg, env = inject([], src)
is_(env, envelope("rp@example.org", "j@x.y"), "Return-Path sets the sender")
ok(b"Return-Path" not in msg, "and is removed")
rc, err, msg, env = inject([], src, env={"QMAILINJECT": "s"})
is_(env, envelope("u@" + DH, "j@x.y"), "QMAILINJECT=s: Return-Path ignored")
ok(b"Return-Path" not in msg, "but still removed")
rc, err, msg, env = inject(["-f", "bounces@lists.example.org"], src)
is_(env, envelope("bounces@lists.example.org", "j@x.y"), "-f overrides Return-Path")
rc, err, msg, env = inject(["-f", "", "j@x.y"], b"")
is_(env, envelope("", "j@x.y"), "-f '': the null sender")
rc, err, msg, env = inject(["-f<>", "j@x.y"], b"")
is_(env, envelope("", "j@x.y"), "-f '<>': the null sender")
rc, err, msg, env = inject(["-f", "owner", "j@x.y"], b"")
is_(env, envelope("owner@" + DH, "j@x.y"), "-f bare user gets @defaulthost")
rc, err, msg, env = inject([], b"Return-Path: <>\nTo: j@x.y\n\n")
is_(env, envelope("", "j@x.y"), "Return-Path: <> gives the null sender")
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILSUSER": "bouncer", "QMAILSHOST": "bounce.example.org"})
is_(env, envelope("bouncer@bounce.example.org", "j@x.y"), "QMAILSUSER@QMAILSHOST")
is_(parse(msg)["From"], "u@" + DH, "but From keeps the user's address")
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILSHOST": "bh"})
is_(env, envelope("u@bh.example.com", "j@x.y"), "QMAILSHOST alone, qualified")

# -- From: user, host, name from the environment
def fromof(env):
    return parse(inject(["j@x.y"], b"", env=env)[2])["From"]
is_(fromof({"USER": None, "LOGNAME": "logname"}), "logname@" + DH, "LOGNAME")
is_(fromof({"USER": "user", "LOGNAME": "logname"}), "user@" + DH, "USER before LOGNAME")
is_(fromof({"MAILUSER": "mu", "USER": "user"}), "mu@" + DH, "MAILUSER before USER")
is_(fromof({"QMAILUSER": "qu", "MAILUSER": "mu"}), "qu@" + DH, "QMAILUSER first")
is_(fromof({"MAILHOST": "mail.example.org"}), "u@mail.example.org", "MAILHOST")
is_(fromof({"QMAILHOST": "q", "MAILHOST": "mail.example.org"}), "u@q.example.com", "QMAILHOST first, qualified")
is_(fromof({"NAME": "Jane Doe"}), "Jane Doe <u@%s>" % DH, "NAME: name-address style")
is_(fromof({"QMAILNAME": "Q. Name", "MAILNAME": "M", "NAME": "N"}), "\"Q. Name\" <u@%s>" % DH, "QMAILNAME first, quoted when needed")
is_(fromof({"MAILNAME": "M", "NAME": "N"}), "M <u@%s>" % DH, "MAILNAME before NAME")
is_(fromof({"NAME": "Jane Doe", "QMAILINJECT": "c"}), "u@%s (Jane Doe)" % DH, "QMAILINJECT=c: address-comment style")
m = parse(inject(["j@x.y"], b"", env={"NAME": "Evil\nBcc: victim@x"})[2])
ok(m["Bcc"] is None and "victim" in m["From"], "a newline in NAME cannot add a field", m["From"])

# -- QMAILINJECT f, i, r, m
src = b"From: old@example.org\nMessage-ID: <old@example.org>\nTo: j@x.y\n\n"
m = parse(inject([], src, env={"QMAILINJECT": "f"})[2])
is_(m["From"], "u@" + DH, "f: supplied From deleted, a new one made")
is_(m["Message-ID"], "<old@example.org>", "f: Message-ID kept")
m = parse(inject([], src, env={"QMAILINJECT": "i"})[2])
ok(m["Message-ID"] != "<old@example.org>" and m["From"] == "old@example.org", "i: Message-ID replaced, From kept")
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILINJECT": "r"})
is_(env, envelope("u-@%s-@[]" % DH, "j@x.y"), "r: per-recipient VERP sender")
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILINJECT": "m"})
ok(re.fullmatch(rb"Fu-\d+\.\d+@dh\.example\.com\0Tj@x\.y\0\0", env), "m: date and pid appended", env)
rc, err, msg, env = inject(["-f", "", "j@x.y"], b"", env={"QMAILINJECT": "rm"})
is_(env, envelope("", "j@x.y"), "VERP leaves the null sender alone")

# -- resent messages
src = (b"From: orig@example.org\nTo: first@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
       b"Message-ID: <orig@example.org>\nResent-To: again@example.org\nResent-Bcc: secret@example.org\n\nbody\n")
rc, err, msg, env = inject([], src)
is_(env, envelope("u@" + DH, "again@example.org", "secret@example.org"), "resent: recipients from Resent-To and Resent-Bcc only")
m = parse(msg)
ok(m["Resent-Date"] and m["Resent-Message-ID"] and m["Resent-From"] == "u@" + DH, "Resent-Date, -Message-ID, -From added")
ok(msg.startswith(b"Resent-Date: "), "added Resent- fields go on top")
is_((m["Resent-Bcc"], len(m.get_all("Date")), m["Message-ID"]), (None, 1, "<orig@example.org>"), "Resent-Bcc removed; Date, Message-ID untouched")
rc, err, msg, env = inject([], b"Resent-From: r@example.org\nTo: t@example.org\n\n")
is_(rc, 100, "resent without Resent-To/Cc/Bcc: no recipient (To is not used)")
rc, err, msg, env = inject(["-a", "x@y.z"], b"Resent-From: r@example.org\nTo: t@example.org\n\n")
is_(parse(msg)["Resent-Cc"], "recipient list not shown: ;", "resent without Resent-To/Cc: Resent-Cc line added")

# -- QMAILMFTFILE
mft = os.path.join(T, "mft")
with open(mft, "w") as f: f.write("  List@Lists.Example.ORG \n\n")
rc, err, msg, env = inject([], b"To: list@lists.example.org\nCc: friend\n\n", env={"QMAILMFTFILE": mft})
is_(parse(msg)["Mail-Followup-To"], "list@lists.example.org, friend@" + DH, "To+Cc has a listed address: Mail-Followup-To added")
rc, err, msg, env = inject([], b"To: other@lists.example.org\n\n", env={"QMAILMFTFILE": mft})
is_(parse(msg)["Mail-Followup-To"], None, "no listed address: none added")
rc, err, msg, env = inject([], b"To: list@lists.example.org\nMail-Followup-To: mine@x.y\n\n", env={"QMAILMFTFILE": mft})
is_(parse(msg).get_all("Mail-Followup-To"), ["mine@x.y"], "an existing Mail-Followup-To is kept alone")
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILMFTFILE": os.path.join(T, "nonexistent")})
is_(rc, 111, "unreadable QMAILMFTFILE: temporary error")
ok("nonexistent" in err, "naming the file", err)

# -- qmail-queue's exit codes
for code, want, text, noread in ((0, 0, "", False), (31, 100, "mail server permanently rejected message", False),
                                 (31, 100, "mail server permanently rejected message", True),
                                 (11, 100, "address too long", False), (53, 111, "qq write error or disk full", False),
                                 (81, 111, "qq internal bug", False), (81, 111, "qq internal bug", True),
                                 (71, 111, "mail server temporarily rejected message", False)):
    rc, err, msg, env = inject(["j@x.y"], b"Subject: x\n\n" + b"y" * 200000, code=code,
                               env={"CAPNOREAD": "1" if noread else None})
    how = " (before reading)" if noread else ""
    is_(rc, want, "qmail-queue exits %d%s: qmail-inject exits %d" % (code, how, want))
    if code:
        ok(("qmail-inject: fatal: qmail-queue: %s (#%d)" % (text, code)) in err, "  with the text", err)
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILQUEUE": os.path.join(T, "no-such-queue")})
is_(rc, 111, "qmail-queue cannot be run: 111")
ok("unable to run" in err and "no-such-queue" in err, "naming it", err)
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILQUEUE": None})
ok(rc == 111 and os.path.join(HOME, "bin", "qmail-queue") in err, "default: $QMAILHOME/bin/qmail-queue", err)
os.symlink(QQ, os.path.join(HOME, "bin", "qmail-queue"))
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILQUEUE": None})
ok(rc == 0 and env == envelope("u@" + DH, "j@x.y"), "which is used when QMAILQUEUE is unset")
os.remove(os.path.join(HOME, "bin", "qmail-queue"))
crash = os.path.join(T, "crash-queue")
with open(crash, "w") as f: f.write("#!/bin/sh\nkill -9 $$\n")
os.chmod(crash, 0o755)
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILQUEUE": crash})
ok(rc == 111 and "signal 9" in err, "qmail-queue killed by a signal: 111", err)

# -- permanent errors
rc, err, msg, env = inject([], b"Subject: nobody\n\nbody\n")
is_(rc, 100, "no recipients: exit 100")
ok("no recipients" in err, "with a message", err)
is_(msg, None, "and qmail-queue is not run")
rc, err, msg, env = inject([], b"To: undisclosed: ;\n\n")
is_(rc, 100, "only an empty group: no recipients")
rc, err, msg, env = inject(["a" * 990 + "@example.org"], b"")
is_(rc, 100, "an address over 1000 bytes: exit 100")
ok("address too long" in err, "with a message", err)
is_(msg, None, "and nothing queued")
rc, err, msg, env = inject(["a" * 980 + "@example.org"], b"")
is_(rc, 0, "993 bytes: fine")
rc, err, msg, env = inject([], b"To: " + b"a" * 1000 + b"\n\n")
is_(rc, 100, "a header recipient over 1000 bytes once rewritten: 100")
rc, err, msg, env = inject(["-f", "s" * 1001, "j@x.y"], b"")
is_(rc, 100, "a sender over 1000 bytes: 100")
rc, err, msg, env = inject([], b"To: Joe <joe@x.y\nSubject: x\n\n")
is_(rc, 100, "unbalanced <: exit 100")
ok("header field To: unbalanced angle brackets" in err, "naming the field and the problem", err)
rc, err, msg, env = inject([], b"To: j@x.y\nCc: \"unterminated\n\n")
ok(rc == 100 and "Cc: unterminated quoted string" in err, "unterminated quote in Cc: 100", err)
rc, err, msg, env = inject(["(unclosed"], b"")
ok(rc == 100 and "unable to parse recipient" in err, "an unparsable argument: 100", err)

# -- control files and their overrides
rc, err, msg, env = inject(["j"], b"", env={"QMAILDEFAULTHOST": "qdh.example.org"})
is_(env, envelope("u@qdh.example.org", "j@qdh.example.org"), "QMAILDEFAULTHOST overrides defaulthost")
rc, err, msg, env = inject(["j"], b"", env={"DEFAULTHOST": "edh.example.org"})
is_(env, envelope("u@edh.example.org", "j@edh.example.org"), "$DEFAULTHOST (the uniform override) too")
rc, err, msg, env = inject(["j@h", "k@p+"], b"", env={"QMAILDEFAULTDOMAIN": "dd.example", "QMAILPLUSDOMAIN": "pd.example"})
is_(env, envelope("u@dh.dd.example", "j@h.dd.example", "k@p.pd.example"), "QMAILDEFAULTDOMAIN, QMAILPLUSDOMAIN")
m = parse(inject(["j"], b"", env={"QMAILIDHOST": "qid.example.org"})[2])
ok(m["Message-ID"].endswith("@qid.example.org>"), "QMAILIDHOST", m["Message-ID"])
control("defaulthost", None)
control("idhost", None)
rc, err, msg, env = inject(["j"], b"")
is_(env, envelope("u@me.example.com", "j@me.example.com"), "no defaulthost: control/me")
ok(parse(msg)["Message-ID"].endswith("@me.example.com>"), "no idhost: control/me")
control("defaulthost", "plus+\n")
rc, err, msg, env = inject(["j"], b"")
is_(env, envelope("u@plus.plus.example.net", "j@plus.plus.example.net"), "defaulthost ending in +: plusdomain")
control("defaulthost", "two words\n")
rc, err, msg, env = inject(["j@x.y"], b"")
is_(rc, 111, "malformed defaulthost: temporary error")
ok("malformed value in control/defaulthost" in err, "naming the file", err)
is_(msg, None, "nothing queued")
control("defaulthost", None)
os.mkdir(os.path.join(HOME, "control", "defaulthost"))
rc, err, msg, env = inject(["j@x.y"], b"")
ok(rc == 111 and "unable to read control/defaulthost" in err, "unreadable defaulthost: 111 naming it", err)
os.rmdir(os.path.join(HOME, "control", "defaulthost"))
control("defaulthost", "dh\n")
control("me", "\n")
control("idhost", None)
rc, err, msg, env = inject(["j@x.y"], b"")
ok(rc == 111 and "malformed value in control/me" in err, "an empty me used as the default: names control/me", err)
control("me", "me.example.com\n")
control("idhost", "id.example.com\n")
rc, err, msg, env = inject(["j@x.y"], b"", env={"QMAILHOME": os.path.join(T, "nohome")})
ok(rc == 111 and "nohome" in err, "missing home: 111 naming it", err)

# -- -n prints instead of queueing
rc, out, err = run(["qmail-inject", "-n", "-f", "x@y.z"], stdin=b"To: joe\n\nbody\n",
                   env={"QMAILHOME": HOME, "QMAILQUEUE": QQ, "CAPDIR": CAP, "USER": "u"})
is_(rc, 0, "-n: exit 0")
ok(out.startswith(b"To: joe@%s\n" % DH.encode()) and out.endswith(b"\n\nbody\n"), "-n: the message on stdout", out)
rc, out, err = run(["qmail-inject", "-n"], stdin=b"Subject: none\n\n", env={"QMAILHOME": HOME, "USER": "u"})
is_(rc, 0, "-n needs no recipient")

# -- input errors
fd = os.open(T, os.O_RDONLY)
p = __import__("subprocess").run(["qmail-inject", "j@x.y"], stdin=fd, capture_output=True,
                                env=dict(os.environ, QMAILHOME=HOME, QMAILQUEUE=QQ, CAPDIR=CAP, USER="u"))
os.close(fd)
ok(p.returncode == 111 and b"unable to read message" in p.stderr, "unreadable input: 111", p.stderr)

done()
