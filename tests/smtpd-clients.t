#!/usr/bin/env python3
"""qmail-smtpd with real clients nobody here wrote: swaks (--pipeline, --quit-after, relay
refusal, oversize, 8-bit body, --pipe on stdio) and Postfix's smtp-source (1,000 messages over
20 parallel sessions, all delivered to the Maildir); and sendmail -bs, which runs qmail-smtpd on
stdio."""
import glob, os, re, subprocess
import tap
from instance import Instance, wait_for
from smtpdlib import Smtpd, fake_queue, fake_results

RULES = '127.0.0.4:allow,DATABYTES="2000"\n:allow\n'
inst = Instance(control={"rcpthosts": "localhost\nlocalhost.localdomain\n"})
inst.start()
real = Smtpd(inst, RULES, name="real")
qq, qqdir = fake_queue(inst)
fake = Smtpd(inst, RULES, env={"QMAILQUEUE": qq}, name="fake")


def swaks(srv, *args, stdin=None):
    p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % srv.port, "--helo", "swaks.test"] + list(args),
                       input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


code, out = swaks(real, "--to", "demo@localhost", "--from", "swaks@example.org", "--pipeline",
                  "--header", "Subject: piped", "--body", "pipelined body")
tap.is_(code, 0, "swaks --pipeline delivers", out)
tap.ok(re.search(r"^<-  250-PIPELINING", out, re.M), "swaks sees PIPELINING", out)
files = wait_for(lambda: inst.maildir_new())
tap.ok(files and b"pipelined body" in open(files[0], "rb").read(), "the message is in the Maildir")

n = len(fake_results(qqdir))
code, out = swaks(fake, "--to", "demo@localhost", "--from", "swaks@example.org", "--quit-after", "RCPT")
tap.is_(code, 0, "swaks --quit-after RCPT", out)
tap.is_(len(fake_results(qqdir)), n, "nothing queued after QUIT in the middle of a transaction")

code, out = swaks(fake, "--to", "someone@example.com", "--from", "swaks@example.org")
tap.is_(code, 24, "swaks to a non-local domain: the RCPT fails (swaks exit 24)", out)
tap.ok("553 5.7.1" in out, "with 553 5.7.1", out)

code, out = swaks(fake, "--to", "demo@localhost", "--from", "swaks@example.org", "--local-interface", "127.0.0.4",
                  "--body", "z" * 5000)
tap.ok(code != 0 and "552 5.3.4" in out, "swaks: a message over DATABYTES gets 552 5.3.4", out)
tap.ok(re.search(r"250-SIZE 2000", out), "after EHLO showed SIZE 2000", out)

body8 = "Gr\u00fc\u00dfe aus K\u00f6ln, \u00e9t\u00e9 \u20ac"
n = len(fake_results(qqdir))
code, out = swaks(fake, "--to", "demo@localhost", "--from", "swaks@example.org",
                  "--add-header", "Content-Type: text/plain; charset=utf-8",
                  "--add-header", "Content-Transfer-Encoding: 8bit", "--body", body8)
res = fake_results(qqdir)
tap.is_(code, 0, "swaks: an 8-bit body", out)
tap.ok(len(res) == n + 1 and body8.encode() in res[-1][0], "the 8-bit bytes are stored as sent", res[-1:] and res[-1][0][-300:])

p = subprocess.run(["swaks", "--pipe", " ".join(inst.argv(["qmail-smtpd"])), "--to", "demo@localhost",
                    "--from", "pipe@example.org", "--body", "over stdio"],
                   capture_output=True, env=inst.env(), timeout=60)
tap.is_(p.returncode, 0, "swaks --pipe: qmail-smtpd on stdio", p.stdout.decode()[-800:])
tap.ok(wait_for(lambda: any(b"over stdio" in open(f, "rb").read() for f in inst.maildir_new())),
       "delivered, with no TCP variables at all")

# sendmail -bs runs qmail-smtpd on stdio
p = inst.run(["sendmail", "-bs"], stdin=b"HELO me\r\nMAIL FROM:<bs@example.org>\r\nRCPT TO:<demo@localhost>\r\n"
             b"DATA\r\nSubject: bs\r\n\r\nsendmail -bs\r\n.\r\nQUIT\r\n")
out = p.stdout.decode()
tap.ok(p.returncode == 0 and re.search(r"^250 2\.0\.0 ok", out, re.M), "sendmail -bs queues through qmail-smtpd", out + p.stderr.decode())
tap.ok(wait_for(lambda: any(b"sendmail -bs" in open(f, "rb").read() for f in inst.maildir_new())), "and it is delivered")

# smtp-source: 1,000 messages over 20 sessions
tools = subprocess.run([os.path.join(tap.TOP, "tools", "postfix-tools")], capture_output=True, text=True)
if tools.returncode:
    tap.ok(False, "tools/postfix-tools finds smtp-source", tools.stderr)
else:
    before = len(inst.maildir_new())
    p = subprocess.run([os.path.join(tools.stdout.strip(), "smtp-source"), "-s", "20", "-m", "1000", "-l", "2048",
                        "-f", "source@example.org", "-t", "demo@localhost", "-M", "source.test",
                        "127.0.0.1:%d" % real.port], capture_output=True, timeout=300)
    tap.is_(p.returncode, 0, "smtp-source: 1,000 messages of 2 KB over 20 sessions", p.stderr.decode()[-800:])
    got = wait_for(lambda: len(inst.maildir_new()) >= before + 1000 and inst.maildir_new(), timeout=120)
    tap.is_(len(got or inst.maildir_new()) - before, 1000, "all 1,000 delivered to the Maildir")
    bodies = set()
    mine = [m for m in (open(f, "rb").read() for f in inst.maildir_new()) if b"<source@example.org>" in m[:200]]
    tap.is_(len(mine), 1000, "1,000 messages from smtp-source's sender")
    for m in mine:
        bodies.add(m.split(b"\n\n", 1)[1] if b"\n\n" in m else None)
    tap.is_(len(bodies), 1, "every message has the same body as sent")
    body = bodies.pop() if bodies else b""
    tap.ok(len(body) >= 1900 and b"\r" not in body, "2 KB bodies with LF line ends", (len(body), body[:200]))
    log = real.logtext()
    tap.ok(len(re.findall(r": accepted message \d+ qp \d+ bytes \d+ from <source@example\.org>", log)) == 1000,
           "one log line per accepted message")

real.stop()
fake.stop()
tap.is_(inst.stop(), 0, "qmail-send stops cleanly")
tap.done()
