#!/usr/bin/env python3
"""qmail-smtpd under a real tcpserver with tcprules, talked to with smtplib and a raw socket:
EHLO extensions, delivery byte for byte, relay control (rcpthosts, morercpthosts.cdb,
RELAYCLIENT from tcprules), badmailfrom, databytes and SIZE, the hop limit, address literals,
SMTP smuggling variants, pipelining, BDAT, SMTPUTF8, bad commands and sequences, the timeout,
recipient checks, QMAILQUEUE exit codes and a filter's own text, IPv6, and one log line per
rejection."""
import email.message, email.policy, os, re, smtplib, socket, subprocess, time
import tap
from instance import Instance, wait_for
from smtpdlib import Smtpd, Raw, fake_queue, fake_results

RULES = ('127.0.0.2:allow,RELAYCLIENT=""\n127.0.0.3:allow,RELAYCLIENT="-via"\n'
         '127.0.0.4:allow,DATABYTES="2000"\n127.0.0.5:allow,TIMEOUTSMTPD="1"\n'
         '127.0.0.6:allow,RCPTCHECK="0"\n127.0.0.7:allow,MAXRCPT="2",SMTPGREETING="mx.test hello"\n:allow\n')

inst = Instance(control={"rcpthosts": "localhost\nlocalhost.localdomain\n",
                         "badmailfrom": "bad@evil.test\n@spam.test\n",
                         "morercpthosts": "more.test\n.deep.test\n"})
p = inst.run(["qmail-newmrh"])
tap.is_(p.returncode, 0, "qmail-newmrh compiles morercpthosts", p.stderr)
inst.start()
real = Smtpd(inst, RULES, name="real")
qq, qqdir = fake_queue(inst)
fake = Smtpd(inst, RULES, env={"QMAILQUEUE": qq}, name="fake")


def action(text):
    inst.put("fakeqq/action", text + "\n")


def session(srv, source=None):
    r = Raw("127.0.0.1" if source is None and ":" not in srv.host else srv.host, srv.port, source=source)
    greet = r.reply()
    assert greet.startswith("220 "), greet
    return r


def transaction(r, sender, rcpts, data, params=""):
    """MAIL, RCPTs, DATA (one write, pipelined); the replies and the final one."""
    r.send("MAIL FROM:<%s>%s\r\n" % (sender, params) + "".join("RCPT TO:<%s>\r\n" % x for x in rcpts) + "DATA\r\n")
    got = r.replies(2 + len(rcpts))
    if not got[-1].startswith("354"):
        return got, None
    r.send(data)
    return got, r.reply()


def results():
    return fake_results(qqdir)


# --- EHLO and a delivery with smtplib ---------------------------------------------------
s = smtplib.SMTP("127.0.0.1", real.port, local_hostname="client.test", timeout=20)
code, _ = s.ehlo()
tap.is_(code, 250, "EHLO")
feats = set(s.esmtp_features)
for f in ("pipelining", "8bitmime", "size", "enhancedstatuscodes", "smtputf8", "chunking"):
    tap.ok(f in feats, "EHLO offers " + f.upper(), s.esmtp_features)
m = email.message.EmailMessage()
m["From"] = "Sender <sender@example.org>"
m["To"] = "demo@localhost"
m["Subject"] = "caf\u00e9 ol\u00e9"
m.set_content("hello\n.hidden dot line\n..two dots\nend with no newline?\n" + "x" * 5000 + "\n")
m.add_attachment(bytes(range(256)) * 20, maintype="application", subtype="octet-stream", filename="b.bin")
m.set_boundary("=-=-=-boundary-for-the-test-=-=-=")
refused = s.send_message(m, "sender@example.org", ["demo@localhost", "demo@localhost.localdomain"])
tap.is_(refused, {}, "send_message to two local recipients")
s.quit()
files = wait_for(lambda: len(inst.maildir_new()) >= 2 and inst.maildir_new())
tap.is_(len(files or []), 2, "both copies delivered to the Maildir")
orig = m.as_bytes(policy=email.policy.SMTP).replace(b"\r\n", b"\n")
for f in files or []:
    body = open(f, "rb").read()
    tail = body[-len(orig):]
    first = next((i for i in range(len(orig)) if tail[i:i + 1] != orig[i:i + 1]), None)
    tap.ok(body.endswith(orig), "the message arrives byte for byte",
           "first difference at %s: got %r want %r" % (first, tail[first - 40:first + 40], orig[first - 40:first + 40]) if first is not None else "")
    hdr = body[:len(body) - len(orig)].decode()
    tap.ok(re.search(r"^Received: from client\.test \(\[127\.0\.0\.1\]\)\n\tby localhost \(qmail-smtpd\) with ESMTP; ", hdr, re.M),
           "one Received line with HELO, IP and the RFC 3848 protocol", hdr)
    tap.is_(hdr.count("qmail-smtpd"), 1, "exactly one Received line from qmail-smtpd")

# --- relay control ------------------------------------------------------------------------
def rcpt_reply(srv, rcpt, source=None, sender="s@example.org"):
    r = session(srv, source)
    r.send("EHLO c\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nQUIT\r\n" % (sender, rcpt))
    got = r.replies(4)
    r.close()
    return got[2], got[1]

tap.ok(rcpt_reply(fake, "u@example.com")[0].startswith("553 5.7.1 "), "relaying denied without RELAYCLIENT")
tap.ok(rcpt_reply(fake, "u@example.com", source="127.0.0.2")[0].startswith("250 2.1.5"), "relaying allowed by tcprules RELAYCLIENT")
tap.ok(rcpt_reply(fake, "u@more.test")[0].startswith("250"), "morercpthosts.cdb: a listed host")
tap.ok(rcpt_reply(fake, "u@a.b.deep.test")[0].startswith("250"), "morercpthosts.cdb: a .domain entry")
tap.ok(rcpt_reply(fake, "u@sub.more.test")[0].startswith("553"), "morercpthosts.cdb: not below a plain host")
tap.ok(rcpt_reply(fake, "demo@LocalHost")[0].startswith("250"), "rcpthosts ignores case")
tap.ok(rcpt_reply(fake, "x", sender="bad@evil.test")[1].startswith("553 5.7.1"), "badmailfrom: an address")
tap.ok(rcpt_reply(fake, "x", sender="BAD@Evil.Test")[1].startswith("553 5.7.1"), "badmailfrom: any case")
tap.ok(rcpt_reply(fake, "x", sender="who@spam.test")[1].startswith("553 5.7.1"), "badmailfrom: @domain")
tap.ok(rcpt_reply(fake, "demo@localhost", sender="")[1].startswith("250"), "the null sender is fine")
log = fake.logtext()
tap.ok(re.search(r"^qmail-smtpd: pid \d+ from 127\.0\.0\.1: reject RCPT TO:<u@example\.com>: 553 5\.7\.1 .*$", log, re.M),
       "a rejection is one log line", log[-2000:])

r = session(fake, "127.0.0.3")
got, final = transaction(r, "s@example.org", ["u@example.com", "demo@[127.0.0.1]"], "Subject: relay\r\n\r\nbody\r\n.\r\n")
tap.ok(final and final.startswith("250 2.0.0 ok"), "relayed message accepted", got)
res = results()
tap.is_(res[-1][1] if res else None, ["s@example.org", "u@example.com-via", "demo@localhost-via"],
        "RELAYCLIENT's value is appended to each recipient; [our IP] becomes localiphost")
r.close()

# --- what reaches qmail-queue -------------------------------------------------------------
def one(srv, data, source=None, rcpts=("demo@localhost",), params="", helo="EHLO c"):
    r = session(srv, source)
    r.send(helo + "\r\n")
    r.reply()
    before = len(results())
    got, final = transaction(r, "s@example.org", list(rcpts), data, params)
    r.send("NOOP\r\n")
    noop = r.reply()
    r.close()
    res = results()
    return got, final, noop, res[-1] if len(res) > before else None

got, final, noop, res = one(fake, "Subject: a\r\n\r\n..x\r\n.y\r\n\r\n.\r\n")
tap.ok(final.startswith("250"), "dot-stuffed message accepted")
tap.ok(res and res[0].endswith(b"\nSubject: a\n\n.x\ny\n\n") and b"\r" not in res[0], "dots unstuffed, CRLF stored as LF",
       res and res[0])
tap.is_(res and res[0].count(b"Received:"), 1, "we add one Received line (qmail-queue adds its own)")

hops = "".join("Received: from h%d by x; Sat, 21 Nov 2026 00:00:00 +0000\r\n" % i for i in range(99))
got, final, noop, res = one(fake, hops + "Subject: hops\r\n\r\nbody\r\n.\r\n")
tap.ok(final.startswith("250") and res, "99 hops are fine", final)
got, final, noop, res = one(fake, hops + "Delivered-To: x@y\r\n\r\nbody\r\n.\r\n")
tap.ok(final.startswith("554 5.4.6"), "100 Received + Delivered-To lines: 554 looping", final)
tap.is_(res, None, "and nothing is queued")
tap.ok(noop.startswith("250"), "the session goes on after a refused message")

for variant, name in ((b"\n.\n", "LF.LF"), (b"\r.\r", "CR.CR"), (b"\r\n.\n", "CRLF.LF"), (b"\n.\r\n", "LF.CRLF"),
                      (b"\r.\r\n", "CR.CRLF"), (b"\r\n.\r", "CRLF.CR"), (b"\n..\n", "LF..LF")):
    r = session(fake)
    r.send("EHLO c\r\n")
    r.reply()
    before = len(results())
    smuggled = (b"MAIL FROM:<smuggled@evil.test>\r\nRCPT TO:<demo@localhost>\r\nDATA\r\n"
                b"Subject: smuggled\r\n\r\nevil\r\n.\r\n")
    got, final = transaction(r, "s@example.org", ["demo@localhost"], b"Subject: s\r\n\r\nhello" + variant + smuggled)
    r.send("NOOP\r\n")
    nxt = r.reply()
    r.close()
    tap.ok(final.startswith("554 5.6.0"), "smuggling %s: the message is refused at the real end" % name, final)
    tap.ok(nxt.startswith("250 2.0.0"), "smuggling %s: the smuggled commands were data, never run" % name, nxt)
    tap.is_(len(results()), before, "smuggling %s: nothing queued" % name)

action("custom Dvirus found: EICAR")
got, final, noop, res = one(fake, "Subject: v\r\n\r\nbody\r\n.\r\n")
tap.is_(final, "554 5.7.1 virus found: EICAR", "exit 82: the filter's permanent text reaches the client")
action("custom Zscanner busy")
got, final, noop, res = one(fake, "Subject: v\r\n\r\nbody\r\n.\r\n")
tap.is_(final, "451 4.7.1 scanner busy", "exit 82: the filter's temporary text")
action("exit 31")
got, final, noop, res = one(fake, "Subject: v\r\n\r\nbody\r\n.\r\n")
tap.ok(final.startswith("554 5."), "qmail-queue exit 31: permanent 554", final)
action("exit 71")
got, final, noop, res = one(fake, "Subject: v\r\n\r\nbody\r\n.\r\n")
tap.ok(final.startswith("451 4."), "qmail-queue exit 71: temporary 451", final)
action("exit 0")

# --- databytes ------------------------------------------------------------------------------
r = session(fake, "127.0.0.4")
r.send("EHLO c\r\n")
ehlo = []
while True:
    l = r.line()
    ehlo.append(l)
    if l[3] == " ":
        break
tap.ok("250-SIZE 2000" in ehlo, "SIZE advertises DATABYTES from tcprules", ehlo)
r.send("MAIL FROM:<s@example.org> SIZE=3000\r\n")
tap.ok(r.reply().startswith("552 5.3.4"), "MAIL with SIZE over the limit: 552 at once")
r.close()
big = "Subject: big\r\n\r\n" + ("y" * 70 + "\r\n") * 40 + ".\r\n"
got, final, noop, res = one(fake, big, source="127.0.0.4")
tap.ok(final.startswith("552 5.3.4") and res is None, "a message over databytes: 552, nothing queued", final)
got, final, noop, res = one(fake, "Subject: small\r\n\r\nsmall\r\n.\r\n", source="127.0.0.4")
tap.ok(final.startswith("250") and res, "a small one passes")

# --- commands, sequences, syntax --------------------------------------------------------
r = session(fake)
for cmd, want, name in (
        ("RCPT TO:<demo@localhost>", "503 5.5.1", "RCPT before MAIL"),
        ("DATA", "503 5.5.1", "DATA before MAIL"),
        ("BOGUS", "500 5.5.1", "unknown command"),
        ("EXPN list", "502 5.5.1", "EXPN not implemented"),
        ("VRFY demo", "252 ", "VRFY"),
        ("HELP", "214 ", "HELP"),
        ("NOOP", "250 2.0.0", "NOOP"),
        ("HELO", "501 5.5.4", "HELO without a name"),
        ("HELO c", "250 ", "HELO"),
        ("MAIL FROM:<s@example.org> BODY=8BITMIME", "555 5.5.4", "parameters need EHLO"),
        ("EHLO c", "250 ", "EHLO again"),
        ("MAIL <s@example.org>", "501 5.5.4", "MAIL without FROM:"),
        ("MAIL FROM:<s@@example.org>", "501 5.1.7", "bad sender syntax"),
        ("MAIL FROM:<s@example.org> RET=HDRS", "555 5.5.4", "an unoffered parameter"),
        ("MAIL FROM:<s@example.org>", "250 2.1.0", "MAIL"),
        ("MAIL FROM:<s@example.org>", "503 5.5.1", "nested MAIL"),
        ("DATA", "503 5.5.1", "DATA before RCPT"),
        ("RCPT TO:<a b@localhost>", "501 5.1.3", "bad recipient syntax"),
        ("RCPT TO:<demo@localhost> NOTIFY=NEVER", "555 5.5.4", "RCPT parameters are not offered"),
        ("RCPT TO:<" + "a" * 70 + "@localhost>", "501 5.1.3", "local part over 64 octets"),
        ("DATA", "554 5.5.1", "DATA when every RCPT failed"),
        ("X" * 3000, "500 5.5.2", "a line too long"),
        ("RSET", "250 2.0.0", "RSET"),
        ("rcpt to:<demo@localhost>", "503 5.5.1", "RSET ended the transaction; verbs in any case"),
        ("QUIT", "221 2.0.0", "QUIT")):
    r.send(cmd + "\r\n")
    got = r.reply()
    tap.ok(got.startswith(want), name + " -> " + want, got)
tap.ok(r.closed(), "the connection closes after QUIT")
r.close()

r = session(fake)
r.send("EHLO c\r\n")
r.reply()
r.send("NOPE\r\n" * 25)
got = [r.reply() for _ in range(20)]
tap.ok(got[-1].startswith("421 4.7.0"), "too many errors: 421", got[-3:])
tap.ok(r.closed(), "and the connection closes")
r.close()

# --- pipelining and BDAT -----------------------------------------------------------------
r = session(fake)
before = len(results())
r.send("EHLO c\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<demo@localhost>\r\nRCPT TO:<u@example.com>\r\n"
       "RCPT TO:<postmaster@localhost>\r\nDATA\r\nSubject: p\r\n\r\npipelined\r\n.\r\nNOOP\r\nQUIT\r\n")
got = r.replies(9)
tap.is_([g[:3] for g in got], ["250", "250", "250", "553", "250", "354", "250", "250", "221"],
        "a whole pipelined session sent in one write: replies in order", got)
res = results()
tap.ok(len(res) == before + 1 and res[-1][1] == ["s@example.org", "demo@localhost", "postmaster@localhost"],
       "the accepted recipients only", res[-1:] if res else res)
r.close()

def bdat(chunks, source=None):
    r = session(fake, source)
    before = len(results())
    out = "EHLO c\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<demo@localhost>\r\n"
    for i, c in enumerate(chunks):
        out += "BDAT %d%s\r\n" % (len(c), " LAST" if i == len(chunks) - 1 else "") + c
    r.send(out + "NOOP\r\n")
    got = r.replies(3 + len(chunks) + 1)
    r.close()
    res = results()
    return got, res[-1] if len(res) > before else None

got, res = bdat(["Subject: chunks\r", "\n\r\n.leading dot\r\n", "tail\r\n"])
tap.ok(all(g.startswith("250") for g in got), "BDAT: three pipelined chunks accepted", got)
tap.ok(res and res[0].endswith(b"\nSubject: chunks\n\n.leading dot\ntail\n"), "BDAT: CRLF split across chunks, dots kept",
       res and res[0])
got, res = bdat(["Subject: x\r\n\r\n" + "z" * 3000 + "\r\n"], source="127.0.0.4")
tap.ok(got[3].startswith("552 5.3.4") and res is None, "BDAT over databytes: 552", got)
got, res = bdat(["Subject: bare\n\r\nx\r\n"])
tap.ok(got[3].startswith("554 5.6.0") and res is None, "BDAT with a bare LF: refused", got)
r = session(fake)
r.send("BDAT 10\r\nNOOP\r\nXYZWBDAT 0 LAST\r\nNOOP\r\n")
got = r.replies(3)
tap.ok(got[0].startswith("503") and got[1].startswith("503") and got[2].startswith("250"),
       "BDAT without a transaction: 503, and its octets are skipped, not run", got)
r.close()
r = session(fake)
r.send("EHLO c\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<demo@localhost>\r\nBDAT 3\r\nabcDATA\r\nBDAT 2 LAST\r\nde")
got = r.replies(6)
tap.ok(got[4].startswith("503") and got[5].startswith("250 2.0.0 ok"), "DATA inside a BDAT transfer: 503", got)
r.close()

# --- SMTPUTF8 and 8BITMIME -----------------------------------------------------------------
s = smtplib.SMTP("127.0.0.1", fake.port, timeout=20)
s.ehlo("c")
utf8 = "J\u00f6rg <j\u00f6rg@b\u00fccher.example>"
msg = ("From: %s\r\nTo: demo@localhost\r\nSubject: \u00fc\r\n\r\nGr\u00fc\u00dfe\r\n" % utf8).encode()
refused = s.sendmail("j\u00f6rg@b\u00fccher.example", ["demo@localhost"], msg, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
tap.is_(refused, {}, "SMTPUTF8: a UTF-8 sender accepted")
res = results()
tap.is_(res[-1][1][0], "j\u00f6rg@b\u00fccher.example", "and it reaches the envelope as UTF-8")
tap.ok(res[-1][0].endswith(msg.replace(b"\r\n", b"\n")), "8-bit body stored as sent")
tap.ok(b"with UTF8SMTP;" in res[-1][0], "protocol UTF8SMTP in the Received line (RFC 6531)")
try:
    s.sendmail("j\u00f6rg@b\u00fccher.example".encode().decode("latin-1"), ["demo@localhost"], b"x\r\n")
    tap.ok(False, "a UTF-8 sender without SMTPUTF8 is refused")
except smtplib.SMTPSenderRefused as e:
    tap.is_(e.smtp_code, 553, "a UTF-8 sender without SMTPUTF8 is refused: 553 5.6.7")
s.quit()

# --- recipient checks ---------------------------------------------------------------------
tap.ok(rcpt_reply(real, "nosuch@localhost")[0].startswith("550 5.1.1"), "rcptcheck: no such user -> 550")
tap.ok(rcpt_reply(real, "demo@localhost")[0].startswith("250"), "rcptcheck: the user")
tap.ok(rcpt_reply(real, "Postmaster@localhost")[0].startswith("250"), "rcptcheck: postmaster always exists")
tap.ok(rcpt_reply(real, "demo-list@localhost")[0].startswith("550"), "rcptcheck: an extension without .qmail file")
inst.put("users/demo/.qmail-list-default", "./Maildir/\n")
tap.ok(rcpt_reply(real, "demo-list-x@localhost")[0].startswith("250"), "rcptcheck: .qmail-list-default covers demo-list-x")
tap.ok(rcpt_reply(real, "demo-other@localhost")[0].startswith("550"), "rcptcheck: but not demo-other")
tap.ok(rcpt_reply(real, "nosuch@localhost", source="127.0.0.6")[0].startswith("250"), "RCPTCHECK=0 keeps qmail's behaviour")
tap.ok(rcpt_reply(real, "nosuch@example.com", source="127.0.0.2")[0].startswith("250"), "remote recipients are not checked")

# Built with musl (configure found it: config.mk MUSL_CC), qmail-smtpd reads /etc/passwd itself
# and asks qmail-getpw (glibc, every NSS module) about a name that /etc/passwd lacks. Here a
# stand-in qmail-getpw plays an LDAP directory that knows one user, "ldapuser".
with open(os.path.join(tap.TOP, "config.mk")) as f:
    musl = re.search(r"^MUSL_CC = \S", f.read(), re.M)
if not musl:
    tap.ok(True, "# skip the qmail-getpw fallback: qmail-smtpd is linked with glibc")
else:
    getpw = os.path.join(inst.bin, "qmail-getpw")
    os.rename(getpw, getpw + ".real")
    inst.put("bin/qmail-getpw", "#!/bin/sh\necho \"$1\" >> %s/getpw.log\ncase $1 in\n"
             "  ldapuser) printf 'ldapuser\\000%d\\000%d\\000%s\\000\\000\\000' ;;\n  broken) exit 111 ;;\n  *) exit 100 ;;\nesac\n"
             % (inst.home, inst.pw.pw_uid, inst.pw.pw_gid, inst.demo), mode=0o755)
    tap.ok(rcpt_reply(real, "ldapuser@localhost")[0].startswith("250"), "musl: an account only qmail-getpw knows is accepted")
    tap.ok(rcpt_reply(real, "nobody-here@localhost")[0].startswith("550 5.1.1"), "musl: qmail-getpw's exit 100 -> 550")
    tap.ok(rcpt_reply(real, "broken@localhost")[0].startswith("451 4.3.0"), "musl: qmail-getpw's exit 111 -> 451")
    asked = open(os.path.join(inst.home, "getpw.log")).read().split()
    tap.is_(asked, ["ldapuser", "nobody-here", "broken"], "qmail-getpw is asked once per unknown name, with the local part")
    tap.ok(rcpt_reply(real, "demo@localhost")[0].startswith("250"), "users/cdb answers without qmail-getpw")
    tap.is_(open(os.path.join(inst.home, "getpw.log")).read().split(), asked, "(qmail-getpw not run for demo)")
    os.rename(getpw + ".real", getpw)

# --- per-client overrides: maxrcpt, smtpgreeting -------------------------------------------
r = Raw("127.0.0.1", fake.port, source="127.0.0.7")
greet = r.reply()
tap.is_(greet, "220 mx.test hello ESMTP", "SMTPGREETING from tcprules")
r.send("EHLO c\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<demo@localhost>\r\nRCPT TO:<postmaster@localhost>\r\n"
       "RCPT TO:<demo@localhost>\r\nQUIT\r\n")
got = r.replies(6)
tap.ok(got[3].startswith("250") and got[4].startswith("452 4.5.3"), "MAXRCPT=2: the third recipient gets 452 4.5.3", got)
r.close()

# --- timeout ---------------------------------------------------------------------------------
r = session(fake, "127.0.0.5")
t0 = time.time()
got = r.reply()
tap.ok(got.startswith("421 4.4.2"), "TIMEOUTSMTPD from tcprules: 421 after the deadline", got)
tap.ok(r.closed(), "and the connection closes")
r.close()

# --- IPv6 -------------------------------------------------------------------------------------
try:
    six = Smtpd(inst, ":allow\n", env={"QMAILQUEUE": qq}, host="::1", name="six")
except (RuntimeError, OSError) as e:
    six = None
if six:
    got, final, noop, res = one(six, "Subject: six\r\n\r\nv6\r\n.\r\n", rcpts=("demo@[IPv6:::1]",))
    tap.ok(final.startswith("250"), "IPv6: a message over ::1", final)
    tap.ok(res and b"([IPv6:::1])" in res[0], "IPv6: [IPv6:...] in the Received line", res and res[0][:300])
    tap.is_(res and res[1], ["s@example.org", "demo@localhost"], "IPv6: our [IPv6:::1] literal becomes localiphost")
    six.stop()
else:
    tap.ok(True, "# skip no IPv6 loopback")

real.stop()
fake.stop()
tap.is_(inst.stop(), 0, "qmail-send stops cleanly")
tap.done()
