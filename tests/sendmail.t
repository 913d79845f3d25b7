#!/usr/bin/env python3
"""sendmail.t: how sendmail translates its options. In one home, $QMAILHOME/bin holds stand-ins
that print their argv (what sendmail would exec); in another, the real qmail-inject with a
stand-in qmail-queue, to see the end result."""
import email, email.policy, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch, run, TOP

for v in list(os.environ):
    if v.startswith("QMAIL") or v in ("USER", "LOGNAME", "NAME", "MAILUSER", "MAILHOST", "MAILNAME"):
        del os.environ[v]

T = scratch()
SENDMAIL = os.path.join(TOP, "qmail-send", "sendmail")
ECHO = os.path.join(T, "echo")      # stand-ins that print their argv
REAL = os.path.join(T, "real")      # the real qmail-inject
CAP = os.path.join(T, "cap")
os.makedirs(CAP)
for home in (ECHO, REAL):
    os.makedirs(os.path.join(home, "bin"))
    os.makedirs(os.path.join(home, "control"))
    with open(os.path.join(home, "control", "me"), "w") as f: f.write("me.example.com\n")

def script(path, text):
    with open(path, "w") as f: f.write("#!/bin/sh\n" + text)
    os.chmod(path, 0o755)

ARGV = 'printf "%s" "${0##*/}"; for a; do printf " [%s]" "$a"; done; printf "\\n"; [ -n "$QMAILNAME" ] && echo "QMAILNAME=$QMAILNAME"; cat >/dev/null; exit 0\n'
for p in ("qmail-inject", "qmail-qread", "qmail-smtpd"):
    script(os.path.join(ECHO, "bin", p), ARGV)
os.symlink(os.path.join(TOP, "qmail-send", "qmail-inject"), os.path.join(REAL, "bin", "qmail-inject"))
QQ = os.path.join(T, "fake-queue")
script(QQ, 'cat > "$CAPDIR/msg"; cat <&1 > "$CAPDIR/env"; exit "${CAPEXIT:-0}"\n')

def translate(args, prog=SENDMAIL, stdin=b"", env=None):
    e = {"QMAILHOME": ECHO}
    if env: e.update(env)
    rc, out, err = run([prog] + args, stdin=stdin, env=e)
    return rc, out.decode(), err.decode()

def send(args, stdin, env=None, code=0):
    for x in ("msg", "env"):
        p = os.path.join(CAP, x)
        if os.path.exists(p): os.remove(p)
    e = {"QMAILHOME": REAL, "QMAILQUEUE": QQ, "CAPDIR": CAP, "CAPEXIT": str(code), "USER": "u"}
    if env: e.update(env)
    rc, out, err = run([SENDMAIL] + args, stdin=stdin, env=e)
    def read(x):
        p = os.path.join(CAP, x)
        return open(p, "rb").read() if os.path.exists(p) else None
    return rc, err.decode(), read("msg"), read("env")

# -- the translation, exactly
for args, want, name in (
        (["a@b.c"], "qmail-inject [-a] [--] [a@b.c]", "recipients: qmail-inject -a"),
        (["a@b.c", "d@e.f"], "qmail-inject [-a] [--] [a@b.c] [d@e.f]", "several recipients"),
        (["-t"], "qmail-inject [-H] [--]", "-t: qmail-inject -H"),
        (["-t", "x@y.z"], "qmail-inject [-H] [--] [x@y.z]", "-t with recipients: header and arguments"),
        (["-f", "s@x.y", "a@b.c"], "qmail-inject [-a] [-f] [s@x.y] [--] [a@b.c]", "-f sender"),
        (["-fs@x.y", "a@b.c"], "qmail-inject [-a] [-f] [s@x.y] [--] [a@b.c]", "-fsender attached"),
        (["-r", "s@x.y", "a@b.c"], "qmail-inject [-a] [-f] [s@x.y] [--] [a@b.c]", "-r: the old name of -f"),
        (["-f", "", "a@b.c"], "qmail-inject [-a] [-f] [] [--] [a@b.c]", "-f '': the null sender passed on"),
        (["-i", "-oi", "-odi", "-oem", "-v", "-bm", "-o", "i", "-U", "-B8BITMIME", "a@b.c"],
         "qmail-inject [-a] [--] [a@b.c]", "-i -oi -odi -oem -v -bm -U -B ignored quietly"),
        (["--", "-dash@b.c"], "qmail-inject [-a] [--] [-dash@b.c]", "-- then a recipient that looks like an option"),
        (["a@b.c", "-t"], "qmail-inject [-a] [--] [a@b.c] [-t]", "options end at the first recipient"),
        (["-bp"], "qmail-qread", "-bp: qmail-qread"),
        (["-bp", "-t", "ignored"], "qmail-qread", "-bp: no arguments passed on"),
        (["-bs"], "qmail-smtpd", "-bs: qmail-smtpd")):
    rc, out, err = translate(args)
    is_((rc, out.splitlines()[0] if out else "", err), (0, want, ""), name)

rc, out, err = translate(["-F", "Jane Doe", "a@b.c"])
is_(out, "qmail-inject [-a] [--] [a@b.c]\nQMAILNAME=Jane Doe\n", "-F sets QMAILNAME for qmail-inject")

mailq = os.path.join(T, "mailq")
os.symlink(SENDMAIL, mailq)
rc, out, err = translate([], prog=mailq)
is_((rc, out, err), (0, "qmail-qread\n", ""), "invoked as mailq: qmail-qread")
rc, out, err = translate(["-v", "whatever"], prog=mailq)
is_((rc, out), (0, "qmail-qread\n"), "mailq ignores its arguments")

# -- usage errors and exec failures
for args in (["-X"], ["-bd"], ["-bi"], ["-bpx"], ["-oQ/tmp"], ["-f"], ["-q"]):
    rc, out, err = translate(args)
    ok(rc == 100 and err.startswith("sendmail: usage: sendmail ") and out == "", "usage error: %s" % " ".join(args), err)
os.remove(os.path.join(ECHO, "bin", "qmail-qread"))
rc, out, err = translate(["-bp"])
ok(rc == 111 and ("unable to exec %s/bin/qmail-qread" % ECHO) in err, "no qmail-qread yet: 111 naming it", err)
rc, out, err = translate([], prog=mailq)
ok(rc == 111 and "qmail-qread" in err, "mailq too", err)
rc, out, err = translate(["a@b.c"], env={"QMAILHOME": os.path.join(T, "nowhere")})
ok(rc == 111 and "unable to exec %s/nowhere/bin/qmail-inject" % T in err, "no qmail-inject: 111 naming it", err)

# -- end to end with the real qmail-inject
msg_in = b"To: header@example.org\nSubject: s\n\nline\n.\nlast\n"
rc, err, msg, env = send(["arg@example.org"], msg_in)
is_((rc, env), (0, b"Fu@me.example.com\0Targ@example.org\0\0"), "recipients as arguments: the header's are not used")
ok(msg.endswith(b"\n\nline\n.\nlast\n"), "a lone dot is not the end (-i is the only mode)")
rc, err, msg, env = send(["-t"], msg_in)
is_(env, b"Fu@me.example.com\0Theader@example.org\0\0", "-t: the header's recipients")
rc, err, msg, env = send(["-t", "arg@example.org"], msg_in)
is_(env, b"Fu@me.example.com\0Theader@example.org\0Targ@example.org\0\0", "-t and arguments: both, as qmail does")
rc, err, msg, env = send(["-f", "bounce@lists.example.org", "-oi", "arg@example.org"], msg_in)
is_(env, b"Fbounce@lists.example.org\0Targ@example.org\0\0", "-f sets the envelope sender")
rc, err, msg, env = send(["-f", "", "arg@example.org"], msg_in)
is_(env, b"F\0Targ@example.org\0\0", "-f '' gives the null sender")
rc, err, msg, env = send(["-F", "Jane Q. Doe", "arg@example.org"], b"Subject: s\n\n", env={"NAME": "Other"})
m = email.message_from_bytes(msg, policy=email.policy.compat32)
is_(m["From"], "\"Jane Q. Doe\" <u@me.example.com>", "-F names the From field, over $NAME")
rc, err, msg, env = send([], msg_in)
ok(rc == 100 and "no recipients" in err and msg is None, "no recipient and no -t: 100", err)
rc, err, msg, env = send(["arg@example.org"], msg_in, code=31)
ok(rc == 100 and "permanently rejected" in err, "qmail-queue's permanent refusal comes through", err)
rc, err, msg, env = send(["arg@example.org"], msg_in, code=53)
is_(rc, 111, "and a temporary one")

done()
