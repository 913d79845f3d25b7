#!/usr/bin/env python3
"""qmail-clean: every request against a real queue, refusals of malformed or out-of-bounds
requests, and the moves/removals checked on disk."""
import os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap

home = tap.scratch()
subprocess.run([os.path.join(tap.TOP, "tools", "mkqueue"), home], check=True)
Q = os.path.join(home, "queue")
env = dict(os.environ, QMAILHOME=home)

def inject(rcpts=(b"a@x.org", b"b@y.org")):
    envl = b"Fs@x.org\0" + b"".join(b"T" + r + b"\0" for r in rcpts) + b"\0"
    efile = os.path.join(home, "env")
    open(efile, "wb").write(envl)
    with open(efile, "rb") as e:
        p = subprocess.run(["qmail-queue"], input=b"Subject: t\n\nbody\n", stdout=e, env=env)
    assert p.returncode == 0
    for root, dirs, names in os.walk(os.path.join(Q, "todo")):
        for n in names:
            return int(n)

def header(path):
    data = open(path, "rb").read()
    off = int(data[5:17])
    return data, off

def rcpt_offsets(data, off):
    pos, out = 18, []
    while True:
        end = data.index(b"\0", pos)
        if end == pos:
            return out
        if data[pos:pos + 1] in b"TLRDX":
            out.append(pos)
        pos = end + 1

clean = subprocess.Popen(["qmail-clean"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
def ask(req):
    clean.stdin.write(req + b"\n"); clean.stdin.flush()
    return clean.stdout.readline().rstrip(b"\n")

ident = inject()
todo = os.path.join(Q, "todo", str(ident % 23), str(ident))
mess = os.path.join(Q, "mess", str(ident % 23), str(ident))
data, off = header(todo)
first, second = rcpt_offsets(data, off)
tap.is_(ask(b"wt %d %d L" % (ident, first)), b"+", "write a letter in todo/")
tap.is_(ask(b"wt %d %d R" % (ident, second)), b"+", "write another")
tap.is_(ask(b"st %d" % ident), b"+", "sync")
data2, _ = header(todo)
tap.is_((data2[first:first + 1], data2[second:second + 1]), (b"L", b"R"), "letters changed on disk")
tap.is_(data2[off:], data[off:], "message body untouched")
tap.ok(ask(b"wt %d %d L" % (ident, off)).startswith(b"-"), "a write at the body offset is refused")
tap.ok(ask(b"wt %d 3 L" % ident).startswith(b"-"), "a write into the prefix is refused")
tap.ok(ask(b"wt %d %d L" % (ident, off - 1)).startswith(b"-"), "the last header byte stays NUL")
tap.ok(ask(b"wt %d %d Q" % (ident, first)).startswith(b"-malformed"), "a letter outside TLRDX/digits is refused")
tap.ok(ask(b"wt %d %d D" % (ident, first + 1)).startswith(b"-"), "a letter inside an address is refused")
tap.ok(ask(b"wt %d %d 7" % (ident, first)).startswith(b"-"), "a digit as a state letter is refused")
noff = data.index(b"\0N") + 2
tap.is_(ask(b"wt %d %d 000000001234" % (ident, noff)), b"+", "a whole next-try time may be written")
tap.ok(ask(b"wt %d %d 000000001234" % (ident, noff + 1)).startswith(b"-"), "twelve digits anywhere else are refused")
tap.ok(ask(b"wt %d %d 12" % (ident, noff)).startswith(b"-"), "part of a next-try time is refused")
tap.ok(ask(b"wt %d %d %s" % (ident, first, b"1" * 65)).startswith(b"-malformed"), "more than 64 bytes refused")
tap.ok(ask(b"wt ../../etc/passwd 20 L").startswith(b"-malformed"), "no path in a request")
tap.ok(ask(b"wx %d 20 L" % ident).startswith(b"-malformed"), "unknown directory letter")
tap.ok(ask(b"z").startswith(b"-malformed"), "unknown request")
tap.ok(ask(b"m 99999999").startswith(b"-"), "moving a missing message fails")
tap.is_(ask(b"m %d" % ident), b"+", "move todo -> mess")
tap.ok(not os.path.exists(todo) and os.path.exists(mess), "moved on disk")
tap.is_(ask(b"wm %d %d D" % (ident, first)), b"+", "write a letter in mess/")
tap.is_(ask(b"sm %d" % ident), b"+", "sync in mess/")
tap.is_(open(mess, "rb").read()[first:first + 1], b"D", "state D on disk")
tap.is_(ask(b"r %d" % ident), b"+", "remove")
tap.ok(not os.path.exists(mess), "removed on disk")
tap.is_(ask(b"r %d" % ident), b"+", "removing again is harmless (a crash may repeat it)")

old = os.path.join(Q, "pid", "12345")
new = os.path.join(Q, "pid", "12346")
open(old, "w").close(); open(new, "w").close()
t = time.time() - 40 * 3600
os.utime(old, (t, t))
tap.is_(ask(b"p"), b"+", "pid cleanup")
tap.ok(not os.path.exists(old) and os.path.exists(new), "only the stale pid file removed")

clean.stdin.close()
tap.is_(clean.wait(), 0, "exits 0 at end of input")
p = subprocess.run(["qmail-clean"], input=b"p", capture_output=True, env=env)
tap.is_(p.returncode, 111, "a request cut off by end of input: 111")
p = subprocess.run(["qmail-clean"], input=b"", capture_output=True, env=dict(env, QMAILHOME=home + "/none"))
tap.is_(p.returncode, 111, "no home: 111")
tap.done()
