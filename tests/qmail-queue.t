#!/usr/bin/env python3
"""qmail-queue end to end: real queue directory, message on fd 0 and envelope on fd 1 through
pipes, the resulting todo/ file parsed independently, every refusal leaving nothing behind."""
import ctypes, email.utils, errno, os, re, struct, subprocess, sys, threading
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap

home = tap.scratch()
subprocess.run([os.path.join(tap.TOP, "tools", "mkqueue"), home], check=True)
Q = os.path.join(home, "queue")

def fail_syscalls(numbers, errno_):
    """A preexec_fn: a seccomp filter (inherited by the exec) makes these system calls fail
    with errno_ in the child, as on a kernel or system that refuses them (x86_64 numbers)."""
    def pre():
        libc = ctypes.CDLL(None, use_errno=True)
        # struct sock_filter { u16 code; u8 jt, jf; u32 k; }
        ins = [(0x20, 0, 0, 4), (0x15, 0, len(numbers) + 1, 0xC000003E),   # arch == x86_64?
               (0x20, 0, 0, 0)]                                             # the syscall number
        for i, n in enumerate(numbers):
            ins.append((0x15, len(numbers) - i, 0, n))                      # to "fail" below
        ins += [(0x06, 0, 0, 0x7FFF0000), (0x06, 0, 0, 0x00050000 | errno_)]  # allow / errno
        prog = b"".join(struct.pack("HBBI", *i) for i in ins)
        buf = ctypes.create_string_buffer(prog)
        fprog = struct.pack("HxxxxxxP", len(ins), ctypes.addressof(buf))
        if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0):  # NO_NEW_PRIVS; SECCOMP filter
            os._exit(120)
    return pre

def queue(message, envelope, env_extra=None, preexec=None):
    """Feed message and envelope through pipes, as qmail-smtpd does; return the exit code."""
    env = dict(os.environ, QMAILHOME=home)
    env.update(env_extra or {})
    mr, mw = os.pipe()
    er, ew = os.pipe()
    p = subprocess.Popen(["qmail-queue"], stdin=mr, stdout=er, stderr=subprocess.PIPE, env=env, preexec_fn=preexec)
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

# no way to link the unnamed file (a kernel before 6.10 without /proc, for a non-root user):
# linkat fails, and the message is copied into pid/PID and renamed into todo/ under the
# copy's own inode number
SYS_linkat = 265
msg = b"Subject: copied\n\n" + bytes(range(256)) * 300
rc, err = queue(msg, b"Fs@example.org\0Tr@example.org\0\0", preexec=fail_syscalls([SYS_linkat], errno.ENOENT))
tap.is_(rc, 0, "linkat refused: queued all the same", err)
todo = files("todo")
tap.is_(len(todo), 1, "linkat refused: one file in todo/")
tap.is_(files("pid"), [], "linkat refused: pid/ left empty")
if todo:
    ino = os.stat(todo[0]).st_ino
    tap.is_(os.path.basename(todo[0]), str(ino), "linkat refused: the copy is named by its own inode")
    tap.is_(os.path.basename(os.path.dirname(todo[0])), str(ino % 23), "linkat refused: in subdirectory inode % split")
    off, recs, body = parse(todo[0])
    tap.is_(body[body.index(b"\n") + 1:], msg, "linkat refused: the body intact")
    tap.is_([r for r in recs if r[:1] in b"FT"], [b"Fs@example.org", b"Tr@example.org"], "linkat refused: the envelope intact")
    tap.is_(oct(os.stat(todo[0]).st_mode & 0o777), "0o640", "linkat refused: mode 0640")
clean()
rc, err = queue(b"x\n", b"Fs\0Tr\0\0", preexec=fail_syscalls([SYS_linkat], errno.EIO))
tap.is_(rc, 66, "linkat failing otherwise: 66", err)
tap.is_(files("todo") + files("pid"), [], "and nothing left behind")

tap.done()
