#!/usr/bin/env python3
"""qmail-queue end to end: real queue directory, message on fd 0 and envelope on fd 1 through
pipes, the resulting todo/ file parsed independently, every refusal leaving nothing behind."""
import email.utils, os, re, subprocess, sys, threading
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap

home = tap.scratch()
subprocess.run([os.path.join(tap.TOP, "tools", "mkqueue"), home], check=True)
Q = os.path.join(home, "queue")

def queue(message, envelope, env_extra=None):
    """Feed message and envelope through pipes, as qmail-smtpd does; return the exit code."""
    env = dict(os.environ, QMAILHOME=home)
    env.update(env_extra or {})
    mr, mw = os.pipe()
    er, ew = os.pipe()
    p = subprocess.Popen(["qmail-queue"], stdin=mr, stdout=er, stderr=subprocess.PIPE, env=env)
    os.close(mr); os.close(er)
    def feed(fd, data):
        try:
            os.write(fd, data) if len(data) < 65536 else [os.write(fd, data[i:i + 65536]) for i in range(0, len(data), 65536)]
        except BrokenPipeError:
            pass
        os.close(fd)
    t = threading.Thread(target=feed, args=(mw, message)); t.start()
    feed(ew, envelope)
    t.join()
    err = p.stderr.read()
    return p.wait(), err

def files(sub):
    out = []
    for root, dirs, names in os.walk(os.path.join(Q, sub)):
        out += [os.path.join(root, n) for n in names]
    return out

def parse(path):
    data = open(path, "rb").read()
    assert data[:5] == b"QMQ1 ", "magic"
    off = int(data[5:17])
    recs = []
    pos = 18
    while True:
        end = data.index(b"\0", pos)
        if end == pos:
            break
        recs.append(data[pos:end])
        pos = end + 1
    assert set(data[pos:off]) <= {0}, "padding is NULs"
    return off, recs, data[off:]

def clean():
    for f in files("todo"):
        os.unlink(f)

msg = b"Subject: hi\n\nline one\n\x00binary\xff\n"
rc, err = queue(msg, b"Fsender@example.org\0Ta@example.org\0Tb@example.net\0\0")
tap.is_(rc, 0, "queued")
todo = files("todo")
tap.is_(len(todo), 1, "one file in todo/")
tap.is_(files("pid"), [], "pid/ left empty")
path = todo[0]
ino = os.stat(path).st_ino
tap.is_(os.path.basename(path), str(ino), "file named by its inode")
tap.is_(os.path.basename(os.path.dirname(path)), str(ino % 23), "in subdirectory inode % split")
off, recs, body = parse(path)
tap.is_(off, 1024, "body at the reserved offset")
tap.is_([r for r in recs if r[:1] in b"FT"], [b"Fsender@example.org", b"Ta@example.org", b"Tb@example.net"], "sender and recipients in order, state T")
tap.ok(any(r == b"U%d" % os.getuid() for r in recs), "injector uid recorded")
tap.ok(any(r.startswith(b"B") for r in recs), "birth recorded")
m = re.match(rb"Received: \(qmail (\d+) invoked (by uid \d+|from network|for bounce|by alias)\); ([^\n]+)\n", body)
tap.ok(m is not None, "Received line first", body[:120])
if m:
    when = email.utils.parsedate_to_datetime(m.group(3).decode())
    tap.ok(when is not None and when.utcoffset() is not None, "Received date is RFC 5322")
    tap.is_(body[m.end():], msg, "message byte-exact after the Received line (NUL and 8-bit kept)")
tap.is_(oct(os.stat(path).st_mode & 0o777), "0o640", "mode 0640")
clean()

# the null sender (bounces) and a single recipient
rc, _ = queue(b"", b"F\0Tpostmaster@example.org\0\0")
tap.is_(rc, 0, "empty message with null sender queued")
off, recs, body = parse(files("todo")[0])
tap.ok(b"F" in recs, "null sender stored")
clean()

# an envelope larger than the reservation: the body moves, nothing is lost
big = b"".join(b"Trecipient-%05d@example.org\0" % i for i in range(3000))
bodymsg = os.urandom(300000)
rc, _ = queue(bodymsg, b"Fs@x.org\0" + big + b"\0")
tap.is_(rc, 0, "3000 recipients queued")
off, recs, body = parse(files("todo")[0])
tap.ok(off > 1024, "header grew past the reservation")
tap.is_(len([r for r in recs if r[:1] == b"T"]), 3000, "all recipients kept")
tap.is_(body[body.index(b"\n") + 1:], bodymsg, "300 KB random body intact after the move")
clean()

# a 5 MB message
five = (b"x" * 999 + b"\n") * 5000
rc, _ = queue(five, b"Fs@x.org\0Tr@y.org\0\0")
tap.is_(rc, 0, "5 MB message queued")
off, recs, body = parse(files("todo")[0])
tap.is_(body[body.index(b"\n") + 1:], five, "5 MB body intact")
clean()

# refusals: the documented code, a line on stderr, and nothing left anywhere
for name, envelope, code in [
    ("no final NUL", b"Fs@x.org\0Tr@y.org\0", 91),
    ("no recipient", b"Fs@x.org\0\0", 91),
    ("empty envelope", b"", 91),
    ("not F first", b"Tr@y.org\0\0", 91),
    ("unknown record", b"Fs@x.org\0Tr@y.org\0Xz\0\0", 91),
    ("recipient of 1001 bytes", b"Fs@x.org\0T" + b"a" * 1001 + b"\0\0", 11),
]:
    rc, err = queue(b"Subject: x\n\nbody\n", envelope)
    tap.is_(rc, code, "%s: exit %d" % (name, code))
    tap.ok(err.startswith(b"qmail-queue: warning: "), "%s: says why on stderr" % name, err)
    tap.is_(files("todo") + files("pid"), [], "%s: nothing left in the queue" % name)
rc, _ = queue(b"x\n", b"Fs@x.org\0T" + b"a" * 1000 + b"\0\0")
tap.is_(rc, 0, "recipient of exactly 1000 bytes accepted")
clean()

rc, err = queue(b"x\n", b"Fs\0Tr\0\0", {"QMAILHOME": home + "/nonexistent"})
tap.is_(rc, 61, "missing home: 61")
os.rename(Q, Q + ".off")
rc, err = queue(b"x\n", b"Fs\0Tr\0\0")
tap.is_(rc, 62, "missing queue: 62")
os.rename(Q + ".off", Q)
if os.getuid() != 0:
    os.chmod(os.path.join(Q, "pid"), 0o500)
    rc, err = queue(b"x\n", b"Fs\0Tr\0\0")
    tap.is_(rc, 63, "unwritable pid/: 63")
    os.chmod(os.path.join(Q, "pid"), 0o700)
else:
    tap.ok(True, "# skip unwritable pid/ check needs a non-root user")
with open(os.path.join(Q, "split"), "w") as f:
    f.write("zero\n")
rc, err = queue(b"x\n", b"Fs\0Tr\0\0")
tap.is_(rc, 55, "malformed queue/split: 55")
with open(os.path.join(Q, "split"), "w") as f:
    f.write("23\n")

# the trigger: a reader on lock/trigger gets a byte per message
fd = os.open(os.path.join(Q, "lock", "trigger"), os.O_RDONLY | os.O_NONBLOCK)
rc, _ = queue(b"x\n", b"Fs\0Tr\0\0")
tap.is_(rc, 0, "queued with a trigger reader")
tap.is_(os.read(fd, 16), b"\0", "trigger poked once")
os.close(fd)
clean()

# a stale pid file of a dead process with our future pid is not a failure: simulate any pid
tap.done()
