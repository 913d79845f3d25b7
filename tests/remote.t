#!/usr/bin/env python3
"""qmail-remote against real peers on loopback: Postfix's smtp-sink in its modes (normal, no
ESMTP, no PIPELINING, hard and soft rejects of each command, 4xx greeting), a scripted server
for the exact bytes (CRLF, dot-stuffing, SIZE, PIPELINING), IPv6; the exact report bytes of
qmail-remote run directly; then the whole path in an instance through smtproutes: success
logged, failure bounced to the sender's Maildir, deferral retried."""
import email, os, re, signal, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, peers
from instance import Instance, wait_for

if not peers.sinkdir():
    print("1..0 # skip no smtp-sink (tools/postfix-tools failed)")
    sys.exit(0)

home = tap.scratch()
os.mkdir(os.path.join(home, "control"))
os.makedirs(os.path.join(home, "queue", "lock"))
REMOTE = os.path.join(tap.TOP, "qmail-remote", "qmail-remote")
MSG = b"Subject: test\n\n.leading dot\n..two dots\nlast line\n"


def remote(route, rcpts=("a@example.net",), msg=MSG, env=None, sender="s@example.org", host="example.net"):
    with open(os.path.join(home, "control", "smtproutes"), "w") as f:
        f.write(route + "\n")
    return tap.run([REMOTE, host, sender] + list(rcpts), stdin=msg, env=dict(env or {}, QMAILHOME=home))


def records(out):
    return out.split(b"\0")[:-1]


OK = b"r250 2.1.5 Ok\0"
SAID_OK = b"Remote host said: 250 2.0.0 Ok\0"

# normal sink: ESMTP, PIPELINING, 8BITMIME
s = peers.Sink()
code, out, err = remote(":127.0.0.1:%d" % s.port, ("a@example.net", "b@example.net"))
tap.is_((code, out), (0, OK + OK + b"K127.0.0.1 accepted message.\n" + SAID_OK), "two recipients: r, r, K", err)
m = s.messages()
tap.is_(len(m), 1, "the sink got one message")
body = m[0] if m else b""
tap.ok(b"X-Mail-Args: <s@example.org> BODY=8BITMIME\n" in body, "MAIL FROM with BODY=8BITMIME", body)
tap.ok(b"X-Rcpt-Args: <a@example.net>\nX-Rcpt-Args: <b@example.net>\n" in body, "both RCPTs")
tap.ok(body.endswith(MSG + b"\n") or body.endswith(MSG), "message intact after dot-stuffing", body)
tap.ok(b"X-Client-Proto: ESMTP" in body, "ESMTP")
code, out, err = remote(":127.0.0.1:%d" % s.port, ("q\"x y\"@example.net",), sender="")
tap.is_(out[:1], b"r", "quoted local part and null sender accepted", out)
tap.ok(any(b"X-Mail-Args: <>" in x and b'X-Rcpt-Args: <"q\\"x y\\""@example.net>' in x for x in s.messages()),
       "null sender <>, local part quoted", s.messages()[-1:])
s.stop()

# no ESMTP: HELO, no BODY parameter
s = peers.Sink(opts=["-e"])
code, out, err = remote(":127.0.0.1:%d" % s.port)
tap.is_(out, OK + b"K127.0.0.1 accepted message.\n" + SAID_OK, "no ESMTP: delivered", err)
body = (s.messages() or [b""])[0]
tap.ok(b"X-Client-Proto: SMTP" in body and b"X-Mail-Args: <s@example.org>\n" in body, "HELO, MAIL without parameters", body)
s.stop()

# no PIPELINING
s = peers.Sink(opts=["-p"])
code, out, err = remote(":127.0.0.1:%d" % s.port, ("a@example.net", "b@example.net"))
tap.is_(out, OK + OK + b"K127.0.0.1 accepted message.\n" + SAID_OK, "no PIPELINING: one command at a time", err)
s.stop()

HARD = b"Remote host said: 500 5.3.0 Error: command failed\0"
SOFT = b"Remote host said: 450 4.3.0 Error: command failed\0"
for opts, want, name in (
        (["-f", "RCPT"], b"h127.0.0.1 does not like recipient.\n" + HARD + b"DGiving up on 127.0.0.1.\0", "RCPT hard reject: h, D"),
        (["-r", "RCPT"], b"s127.0.0.1 does not like recipient.\n" + SOFT + b"DGiving up on 127.0.0.1.\0", "RCPT soft reject: s, D"),
        (["-f", "MAIL"], b"DConnected to 127.0.0.1 but sender was rejected.\n" + HARD, "MAIL hard reject: D"),
        (["-r", "MAIL"], b"ZConnected to 127.0.0.1 but sender was rejected.\n" + SOFT, "MAIL soft reject: Z"),
        (["-f", "DATA"], OK + b"D127.0.0.1 failed on DATA command.\n" + HARD, "DATA hard reject"),
        (["-r", "DATA"], OK + b"Z127.0.0.1 failed on DATA command.\n" + SOFT, "DATA soft reject"),
        (["-f", "."], OK + b"D127.0.0.1 failed after I sent the message.\n" + HARD, "end of data hard reject"),
        (["-r", "."], OK + b"Z127.0.0.1 failed after I sent the message.\n" + SOFT, "end of data soft reject"),
        (["-f", "EHLO,HELO"], b"DConnected to 127.0.0.1 but my name was rejected.\n" + HARD, "EHLO and HELO refused"),
        (["-f", "EHLO"], OK + b"K127.0.0.1 accepted message.\n" + SAID_OK, "EHLO refused: HELO works"),
        (["-r", "CONNECT"], b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\0", "4xx greeting: next host, none left"),
        (["-f", "CONNECT"], b"DConnected to 127.0.0.1 but greeting failed.\n" + HARD, "5xx greeting"),
        (["-q", "RCPT"], b"ZConnected to 127.0.0.1 but connection died. (#4.4.2)\0", "connection dropped at RCPT")):
    s = peers.Sink(opts=opts)
    code, out, err = remote(":127.0.0.1:%d" % s.port)
    tap.is_((code, out), (0, want), name, err)
    s.stop()

# mixed recipients in one transaction: the scripted server says yes, no, later
sc = peers.Scripted({"EHLO": b"250-scripted\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n"})
replies = iter([b"250 ok\r\n", b"550 no such user\r\n", b"451 later\r\n"])
sc.replies = {"EHLO": b"250-scripted\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n", "DATA": b"354 go\r\n", ".": b"250 queued as 1\r\n"}
class Rcpt(dict):
    def get(self, k, d=None):
        if k == "RCPT":
            return next(replies)
        return dict.get(self, k, d)
sc.replies = Rcpt(sc.replies)
code, out, err = remote(":127.0.0.1:%d" % sc.port, ("a@x", "b@x", "c@x"), msg=b"A\n.\n..\nno newline")
tap.is_(records(out), [b"r250 ok", b"h127.0.0.1 does not like recipient.\nRemote host said: 550 no such user",
                       b"s127.0.0.1 does not like recipient.\nRemote host said: 451 later",
                       b"K127.0.0.1 accepted message.\nRemote host said: 250 queued as 1"], "r, h, s, K", err)
wait_for(lambda: sc.received, 5)
raw = sc.received[-1] if sc.received else b""
tap.ok(re.search(rb"MAIL FROM:<s@example.org> SIZE=\d+\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n", raw),
       "PIPELINING: MAIL, RCPTs and DATA in one go, SIZE given", raw)
tap.ok(b"DATA\r\nA\r\n..\r\n...\r\nno newline\r\n.\r\nQUIT\r\n" in raw, "CRLF, dot-stuffing, final CRLF, QUIT", raw)
sc.stop()

sc = peers.Scripted({"EHLO": b"250-scripted\r\n250 SIZE 20\r\n"})
code, out, err = remote(":127.0.0.1:%d" % sc.port)
tap.is_(out, b"DConnected to 127.0.0.1 but the message is bigger than its SIZE limit. (#5.3.4)\0", "SIZE limit smaller than the message: fails early", err)
wait_for(lambda: sc.received, 5)
tap.ok(sc.received and b"MAIL" not in sc.received[-1], "no MAIL sent", sc.received)
sc.stop()

port = peers.freeport()
code, out, err = remote(":127.0.0.1:%d" % port)
tap.is_(out, b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\0", "closed port: Z")
code, out, err = remote("example.net:[127.0.0.1]:%d" % port, env={"TIMEOUTCONNECT": "x"})
tap.is_(out, b"ZUnable to read control/timeoutconnect. (#4.3.0)\0", "bad timeoutconnect: Z naming it")
code, out, err = remote("example.net:[nonsense]")
tap.is_(out, b"ZUnable to read control/smtproutes. (#4.3.0)\0", "bad smtproutes line: Z")
code, out, err = remote("", host="[127.0.0.1]")
tap.is_(out[:1], b"D", "an address literal of mine is not delivered to myself", out)
tap.ok(b"best-preference MX" in out, "with qmail's text", out)

# IPv6
try:
    s6 = peers.Sink(host="::1")
    code, out, err = remote("example.net:[IPv6:::1]:%d" % s6.port)
    tap.is_(out, OK + b"K::1 accepted message.\n" + SAID_OK, "IPv6 relay literal", err)
    s6.stop()
except (OSError, RuntimeError) as e:
    tap.ok(True, "# skip no IPv6 loopback: %s" % e)

# the whole path in an instance: success, bounce, deferral and its retry
good, hard, soft = peers.Sink(), peers.Sink(opts=["-f", "RCPT"]), peers.Sink(opts=["-r", "RCPT"])
routes = "good.example:127.0.0.1:%d\nhard.example:127.0.0.1:%d\nsoft.example:127.0.0.1:%d\n" % (good.port, hard.port, soft.port)
inst = Instance(control={"smtproutes": routes})
inst.start()
tap.is_(inst.queue(b"Subject: out\n\nremote body\n", "demo@localhost", ["u@good.example", "v@hard.example"]), 0, "queued for two remote hosts")
tap.is_(inst.queue(b"Subject: later\n\nremote body\n", "demo@localhost", ["w@soft.example"]), 0, "queued for a host that defers")
tap.ok(wait_for(lambda: good.messages(), 20), "the good sink got it", inst.logtext())
tap.ok(wait_for(lambda: re.search(r"delivery \d+: success: 127.0.0.1_accepted_message./Remote_host_said:_250_2.0.0_Ok", inst.logtext()) or
                re.search(r"delivery \d+: success: 127\.0\.0\.1 accepted message\./Remote host said: 250 2\.0\.0 Ok", inst.logtext()), 10),
       "success logged", inst.logtext())
tap.ok(wait_for(lambda: re.search(r"delivery \d+: failure: 127\.0\.0\.1 does not like recipient\./Remote host said: 500 5\.3\.0", inst.logtext()), 10),
       "failure logged", inst.logtext())
tap.ok(wait_for(lambda: re.search(r"delivery \d+: deferral: 127\.0\.0\.1 does not like recipient\./Remote host said: 450 4\.3\.0", inst.logtext()), 10),
       "deferral logged", inst.logtext())
bounces = wait_for(lambda: inst.maildir_new(), 20)
tap.ok(bounces, "a bounce arrived in the sender's Maildir", inst.logtext())
if bounces:
    b = open(bounces[0], "rb").read()
    tap.ok(b"v@hard.example" in b and b"does not like recipient" in b and b"u@good.example" not in b.split(b"\n\n--")[0],
           "the bounce names the failed recipient and the reason", b[:3000])
inst.signal(signal.SIGALRM)
tap.ok(wait_for(lambda: len(re.findall(r"deferral: 127\.0\.0\.1 does not like recipient", inst.logtext())) >= 2, 15),
       "the deferral is retried (SIGALRM)", inst.logtext())
tap.is_(len(good.messages()), 1, "delivered once")
tap.is_(inst.stop(), 0, "qmail-send stopped")
tap.is_(inst.ours(), [], "no program of the instance left")
for x in (good, hard, soft):
    x.stop()
tap.done()
