#!/usr/bin/env python3
"""qmail-qctl on a real queue (real qmail-queue and qmail-clean): with nothing reading
lock/ctl it changes the files itself (checked byte by byte); with a stand-in reader on
lock/ctl it writes the documented command lines, waits for the effect, and touches nothing."""
import os, re, select, subprocess, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from queuefile import Queue, parse, HELD

q = Queue()
CTL = os.path.join(q.q, "lock", "ctl")


def qctl(*args):
    return q.run(["qmail-qctl"] + [str(a) for a in args])


def same_but(before, after, spans):
    """after equals before outside the byte ranges spans [(offset, length)]."""
    if len(before) != len(after):
        return False
    for off, n in spans:
        before = before[:off] + after[off:off + n] + before[off + n:]
    return before == after


def msg(body=b"Subject: t\n\nbody\n", rcpts=(b"x@remote.example",)):
    return q.queue(body, b"s@example.org", list(rcpts))


# hold and release a message in todo/, then in mess/
a = msg()
b = msg()
for where in ("todo", "mess"):
    if where == "mess":
        tap.is_(q.clean(b"m %d" % a), [b"+"], "qmail-clean moved the message to mess/")
    path = q.path(where, a)
    before = open(path, "rb").read()
    f = parse(path)
    rc, out, err = qctl("hold", a)
    tap.is_((rc, out, err), (0, b"%d: held\n" % a, b""), "%s: hold: exit 0, reported" % where)
    g = parse(path)
    tap.is_((g["N"], g["M"]), (HELD, HELD), "%s: hold wrote 999999999999 in N and M" % where)
    tap.ok(same_but(before, g["data"], [(f["Noff"], 12), (f["Moff"], 12)]), "%s: hold changed no other byte" % where)
    rc, out, err = q.run(["qmail-qread"])
    tap.ok(re.search(rb"#%d \d+ <s@example.org> held\n" % a, out), "%s: qmail-qread shows it held" % where, out)
    t0 = int(time.time())
    rc, out, err = qctl("release", a)
    t1 = int(time.time())
    g = parse(path)
    tap.is_((rc, out, err), (0, b"%d: released\n" % a, b""), "%s: release: exit 0, reported" % where)
    tap.ok(t0 <= g["N"] <= t1 and g["N"] == g["M"], "%s: release set N and M to now" % where, (g["N"], g["M"], t0, t1))
    tap.ok(same_but(before, g["data"], [(f["Noff"], 12), (f["Moff"], 12)]), "%s: release changed no other byte" % where)
tap.is_(parse(q.path("todo", b))["N"], 0, "the other message untouched")

# several ids, unknown and malformed ones: the good ones done, exit 100
rc, out, err = qctl("hold", b, 987654321, "../../etc/passwd", "12a", a)
tap.is_(rc, 100, "unknown and malformed ids: exit 100")
tap.is_(out, b"%d: held\n%d: held\n" % (b, a), "the known ids handled in order")
tap.is_(err, b"qmail-qctl: warning: no message 987654321 in the queue\n"
             b"qmail-qctl: warning: malformed message id: ../../etc/passwd\n"
             b"qmail-qctl: warning: malformed message id: 12a\n", "each bad id named")
qctl("release", a, b)

# delete: the message and its failure texts, nothing else
c = msg(rcpts=(b"x@remote.example", b"y@remote.example"))
tap.is_(q.clean(b"m %d" % c), [b"+"], "third message in mess/")
bounce = q.path("bounce", c)
with open(bounce, "wb") as fh:
    fh.write(b"y@remote.example\0Sorry.\0")
others = {i: open(q.where(i), "rb").read() for i in (a, b)}
rc, out, err = qctl("delete", c, b)
tap.is_((rc, out, err), (0, b"%d: deleted\n%d: deleted\n" % (c, b), b""), "delete from mess/ and todo/: exit 0, reported")
tap.ok(not os.path.exists(q.path("mess", c)) and not os.path.exists(bounce), "mess/ file and bounce/ file removed")
tap.ok(q.where(b) is None, "todo/ file removed")
tap.is_(open(q.where(a), "rb").read(), others[a], "the remaining message untouched")
rc, out, err = qctl("delete", c)
tap.is_((rc, out, err), (100, b"", b"qmail-qctl: warning: no message %d in the queue\n" % c), "deleting again: unknown, 100")

# a damaged file can be deleted but not held
d = 23 * 1000 + 7
with open(q.path("mess", d), "wb") as fh:
    fh.write(b"QMQ1 000000001024\nshort")
rc, out, err = qctl("hold", d)
tap.is_((rc, out, err), (111, b"", b"qmail-qctl: warning: damaged message file mess/7/%d\n" % d), "hold of a damaged file: 111, named")
rc, out, err = qctl("delete", d)
tap.is_((rc, out), (0, b"%d: deleted\n" % d), "delete of a damaged file")

# flush needs qmail-send; list and show are qmail-qread's
tap.is_(qctl("flush"), (111, b"", b"qmail-qctl: fatal: qmail-send is not running\n"), "flush with nobody on lock/ctl: 111")
tap.is_(qctl("flush", a)[0], 111, "flush ID with nobody on lock/ctl: 111")
tap.is_(qctl("list"), q.run(["qmail-qread"]), "list is qmail-qread's listing")
rc, out, err = qctl("show", a)
info = q.run(["qmail-qread", "-i", str(a)])[1]
tap.is_((rc, out), (0, info + b"\n" + parse(q.where(a))["body"]), "show: the envelope, an empty line, the message")
tap.is_(qctl("show", 42)[0], 100, "show of an unknown id: 100")


# a stand-in for qmail-send on lock/ctl
class Reader:
    """Reads lock/ctl in a thread; act(line) may change the queue as qmail-send would."""
    def __init__(self, act=None):
        self.fd = os.open(CTL, os.O_RDONLY | os.O_NONBLOCK)
        self.keep = os.open(CTL, os.O_WRONLY)   # our own writer: no end of file between clients
        self.lines, self.act, self.stop = [], act, False
        self.t = threading.Thread(target=self.loop)
        self.t.start()

    def loop(self):
        buf = b""
        while not self.stop:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            try:
                buf += os.read(self.fd, 4096) if r else b""
            except BlockingIOError:
                pass
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(line)
                if self.act:
                    self.act(line)

    def close(self):
        self.stop = True
        self.t.join()
        os.close(self.keep)
        os.close(self.fd)
        return self.lines


def settimes(ident, value):
    f = parse(q.where(ident))
    q.clean(b"wm %d %d %012d" % (ident, f["Noff"], value), b"wm %d %d %012d" % (ident, f["Moff"], value), b"sm %d" % ident)


def fake_send(line):
    op, _, ident = line.partition(b" ")
    if op == b"h":
        settimes(int(ident), HELD)
    elif op == b"r":
        settimes(int(ident), int(time.time()))
    elif op == b"d":
        q.clean(b"r %d" % int(ident))


e = msg()
tap.is_(q.clean(b"m %d" % e), [b"+"], "a message in mess/ for the stand-in")
r = Reader(fake_send)
rc, out, err = qctl("hold", e, 55555)
tap.is_((rc, out), (100, b"%d: held\n" % e), "hold through lock/ctl: reported once the file shows it; unknown id 100")
tap.is_(parse(q.where(e))["N"], HELD, "held by the stand-in")
tap.is_(qctl("release", e)[:2], (0, b"%d: released\n" % e), "release through lock/ctl")
tap.is_(qctl("flush")[:2], (0, b"flush requested\n"), "flush through lock/ctl")
tap.is_(qctl("flush", e, a)[:2], (0, b"%d: flush requested\n%d: flush requested\n" % (e, a)), "flush of ids through lock/ctl")
tap.is_(qctl("delete", e)[:2], (0, b"%d: deleted\n" % e), "delete through lock/ctl")
tap.ok(q.where(e) is None, "deleted by the stand-in")
lines = r.close()
tap.is_(lines, [b"h %d" % e, b"r %d" % e, b"f", b"f %d" % e, b"f %d" % a, b"d %d" % e],
        "the command lines on lock/ctl, and none for the unknown id")

# a reader that does nothing: qmail-qctl touches no file, and says so after 10 seconds
before = open(q.where(a), "rb").read()
r = Reader()
start = time.time()
rc, out, err = qctl("delete", a)
took = time.time() - start
lines = r.close()
tap.is_((rc, out), (111, b""), "an effect not seen: 111, nothing reported done")
tap.is_(err, b"qmail-qctl: warning: qmail-send has not deleted msg %d after 10 seconds\n" % a, "and says so")
tap.ok(9 <= took < 30, "after about 10 seconds", took)
tap.is_(lines, [b"d %d" % a], "the command was sent")
tap.is_(open(q.where(a), "rb").read(), before, "the file untouched while qmail-send runs")

# lock/ctl must be a FIFO: a plain file there is not written to
os.rename(CTL, CTL + ".fifo")
open(CTL, "wb").close()
tap.is_(qctl("hold", a), (111, b"", b"qmail-qctl: fatal: lock/ctl is not a FIFO\n"), "lock/ctl not a FIFO: 111")
tap.is_(os.path.getsize(CTL), 0, "nothing written to it")
os.unlink(CTL)
rc, out, err = qctl("hold", a)
tap.ok(rc == 111 and err.startswith(b"qmail-qctl: fatal: unable to open lock/ctl: "), "no lock/ctl: 111, not a direct change", err)
tap.is_(open(q.where(a), "rb").read(), before, "and the file untouched")
os.rename(CTL + ".fifo", CTL)
tap.done()
