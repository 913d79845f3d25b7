#!/usr/bin/env python3
"""Deferrals and the retry schedule, SIGALRM, queuelifetime (a restart under faketime, a week
later), and queue control through lock/ctl (hold survives a restart, release, delete without
bounce, flush), all against a real instance."""
import glob, math, os, re, signal, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from instance import Instance, wait_for

inst = Instance()
inst.put("users/demo/.qmail-defer", "|exit 111\n")
inst.start()

def header(path):
    data = open(path, "rb").read()
    off = int(data[5:17])
    recs, pos = {}, 18
    while True:
        end = data.index(b"\0", pos)
        if end == pos:
            return recs
        recs.setdefault(data[pos:pos + 1], []).append(data[pos + 1:end])
        pos = end + 1

def only_message():
    q = inst.queued()
    return q[0] if len(q) == 1 else None

def count(pat):
    return len(re.findall(pat, inst.logtext()))

t0 = int(time.time())
tap.is_(inst.queue(b"Subject: defer\n\n", "demo@localhost", ["demo-defer@localhost"]), 0, "queued for a program that defers")
tap.ok(wait_for(lambda: count(r"delivery \d+: deferral: ") >= 1), "deferral logged", inst.logtext())
path = wait_for(only_message)
h = header(path)
birth, n = int(h[b"B"][0]), int(h[b"N"][0])
tap.is_(h.get(b"L"), [b"demo-defer@localhost"], "recipient still pending (L)")
now = int(time.time())
allowed = {birth + (r + 10) ** 2 for r in range(0, math.isqrt(max(0, now - birth)) + 1)}
tap.ok(n in allowed, "next local try is birth + (sqrt(age) + 10)^2", (birth, n, sorted(allowed)))
tap.is_(int(h[b"M"][0]), 0, "no remote try scheduled")

inst.signal(signal.SIGALRM)
tap.ok(wait_for(lambda: count(r"delivery \d+: deferral: ") >= 2), "SIGALRM: tried again at once", inst.logtext())
tap.is_(inst.stop(), 0, "stopped")

# a week later: the next deferral is final, and the sender gets qmail's "too long" bounce
inst.start(faketime="+8d")
tap.ok(wait_for(lambda: not inst.queued() and inst.maildir_new()), "queuelifetime: given up after restart a week later", inst.logtext())
text = b"".join(open(p, "rb").read() for p in inst.maildir_new())
tap.ok(b"I'm not going to try again; this message has been in the queue too long." in text, "bounce says why", text[:800])
tap.ok(b"<demo-defer@localhost>:" in text, "bounce names the recipient")
tap.is_(inst.stop(), 0, "stopped")

# queue control: remote mail stays queued (no qmail-rspawn yet), so it can be held and deleted
inst.start()
ctl = os.path.join(inst.home, "queue", "lock", "ctl")
def command(line):
    fd = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, line)
    os.close(fd)
before = len(inst.maildir_new())
tap.is_(inst.queue(b"Subject: far\n\n", "demo@localhost", ["someone@remote.example"]), 0, "queued for a remote address")
path = wait_for(lambda: [p for p in glob.glob(os.path.join(inst.home, "queue", "mess", "*", "*"))])
path = path[0] if path else None
ident = os.path.basename(path) if path else "0"
tap.ok(path and header(path).get(b"R") == [b"someone@remote.example"], "classified remote and waiting")
command(b"h %s\n" % ident.encode())
held = lambda: header(path)[b"N"] == [b"999999999999"] and header(path)[b"M"] == [b"999999999999"]
tap.ok(wait_for(held), "hold: both next-try times are the hold mark")
tap.ok(wait_for(lambda: count(r"hold msg %s\n" % ident)), "hold logged")
tap.is_(inst.stop(), 0, "stopped while held")
inst.start()
time.sleep(0.5)
tap.ok(held(), "still held after a restart")
command(b"r %s\n" % ident.encode())
tap.ok(wait_for(lambda: not held()), "release: next-try times back")
tap.ok(wait_for(lambda: count(r"release msg %s\n" % ident)), "release logged")
command(b"f %s\nf\nbogus line\n" % ident.encode())
tap.ok(wait_for(lambda: count(r"flush msg %s\n" % ident) and count(r"flush: retrying every message now")), "flush one and flush all logged")
tap.ok(wait_for(lambda: count(r"warning: qmail-qctl: malformed command ignored")), "garbage on lock/ctl ignored")
command(b"d %s\n" % ident.encode())
tap.ok(wait_for(lambda: not os.path.exists(path)), "delete: message gone")
tap.ok(wait_for(lambda: count(r"delete msg %s\n" % ident)), "delete logged")
time.sleep(0.5)
tap.is_(len(inst.maildir_new()), before, "no bounce for a deleted message")
# a message file that vanishes under qmail-send (someone removed it by hand) ends the message
defers = count(r"delivery \d+: deferral: ")
tap.is_(inst.queue(b"Subject: vanish\n\n", "demo@localhost", ["demo-defer@localhost"]), 0, "queued a message that defers")
tap.ok(wait_for(lambda: count(r"delivery \d+: deferral: ") > defers), "it deferred once", inst.logtext())
vanish = glob.glob(os.path.join(inst.home, "queue", "mess", "*", "*"))
tap.is_(len(vanish), 1, "one message in mess/")
if vanish:
    ident = os.path.basename(vanish[0])
    ends = count(r"end msg %s\n" % ident)
    os.unlink(vanish[0])
    inst.signal(signal.SIGALRM)
    tap.ok(wait_for(lambda: count(r"end msg %s\n" % ident) == ends + 1), "a vanished message is ended, not retried forever", inst.logtext())
command(b"d 12345\n")
tap.ok(wait_for(lambda: count(r"warning: qmail-qctl: no msg 12345")), "unknown id: a warning")
tap.is_(inst.stop(), 0, "stopped")
tap.is_(inst.ours(), [], "no process left")
tap.done()
