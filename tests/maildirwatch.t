#!/usr/bin/env python3
"""maildirwatch.t: the refresh loop. On a terminal (a pty) every refresh clears the screen and
shows the current new and unseen messages; on a pipe nothing is cleared; SIGTERM and SIGINT end
it with exit 0, even in the middle of a long interval; a scan error is reported and retried."""
import os, select, signal, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch

CLEAR = b"\033[H\033[J"


def maildir(d):
    md = os.path.join(d, "Maildir")
    for s in ("", "tmp", "new", "cur"):
        os.mkdir(os.path.join(md, s))
    return md


def put(md, sub, name, data):
    open(os.path.join(md, "tmp", name), "wb").write(data)
    os.rename(os.path.join(md, "tmp", name), os.path.join(md, sub, name))


class Reader:
    """Collect a child's output from fd, with bounded waits."""
    def __init__(self, fd):
        self.fd, self.data = fd, b""

    def until(self, cond, seconds=15):
        end = time.monotonic() + seconds
        while not cond(self.data) and time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # pty closed
                    chunk = b""
                if not chunk:
                    break
                self.data += chunk.replace(b"\r\n", b"\n")
        return cond(self.data)


def screens(data):
    """Complete screens: the text between two clears."""
    return data.split(CLEAR)[1:-1]


def stop(p, sig):
    p.send_signal(sig)
    try:
        return p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


d = scratch()
md = maildir(d)
env = dict(os.environ, MAILDIR=md)
put(md, "new", "1700000001.M1P1.host", b"From: Alice <alice@example.org>\nSubject: first\n\n")
put(md, "cur", "1700000000.M1P1.host:2,S", b"From: x\nSubject: already seen\n\n")

# On a terminal
master, slave = os.openpty()
p = subprocess.Popen(["maildirwatch", "-t", "1"], stdout=slave, stderr=subprocess.PIPE, env=env)
os.close(slave)
out = Reader(master)
ok(out.until(lambda s: len(screens(s)) >= 1), "a terminal gets a cleared screen per refresh", out.data)
first = screens(out.data)[0]
is_(first, b"From: Alice <alice@example.org>\nSubject: first\n\n", "first screen: the new message only")
put(md, "new", "1700000002.M1P1.host", b"Subject: second\n\n")
ok(out.until(lambda s: any(b"Subject: second" in x for x in screens(s))), "a new message shows at a refresh")
os.rename(os.path.join(md, "new", "1700000001.M1P1.host"), os.path.join(md, "cur", "1700000001.M1P1.host:2,S"))
ok(out.until(lambda s: screens(s)[-1:] == [b"From: (none)\nSubject: second\n\n"]),
   "a message marked seen disappears", screens(out.data)[-1:])
is_(stop(p, signal.SIGTERM), 0, "SIGTERM: exit 0")
err = p.stderr.read()
p.stderr.close()
os.close(master)
is_(err, b"", "nothing on stderr")

# On a pipe: no clearing; a long interval is cut short by SIGINT; a scan error is retried
rd, wr = os.pipe()
p = subprocess.Popen(["maildirwatch", "-t", "1"], stdout=wr, stderr=subprocess.PIPE, env=env)
os.close(wr)
out = Reader(rd)
ok(out.until(lambda s: s.count(b"Subject: second") >= 1), "output on a pipe")
ok(CLEAR not in out.data and b"\033" not in out.data, "no screen clearing on a pipe")
os.rename(os.path.join(md, "cur"), os.path.join(md, "gone"))
err = Reader(p.stderr.fileno())
ok(err.until(lambda s: b"\n" in s), "a failed scan is reported on stderr")
ok(err.data.startswith(b"maildirwatch: warning: unable to scan Maildir ") and b"No such file or directory" in err.data,
   "the report names the Maildir and the reason", err.data)
os.rename(os.path.join(md, "gone"), os.path.join(md, "cur"))
n = out.data.count(b"Subject: second")
ok(out.until(lambda s: s.count(b"Subject: second") > n), "refreshes go on after the Maildir is back")
is_(stop(p, signal.SIGINT), 0, "SIGINT: exit 0")
p.stderr.close()
os.close(rd)

p = subprocess.Popen(["maildirwatch", "-t", "3600"], stdout=subprocess.PIPE, env=env)
ok(Reader(p.stdout.fileno()).until(lambda s: b"second" in s), "long interval: first screen")
is_(stop(p, signal.SIGTERM), 0, "SIGTERM during a one-hour wait: exit 0")
p.stdout.close()
done()
