#!/usr/bin/env python3
"""qmail-qread and qmail-qstat on a real queue: messages from the real qmail-queue, one of them
classified and moved to mess/ by the real qmail-clean, the listing parsed line by line and
checked against the files, one message's envelope and text, damaged and misplaced files."""
import email.utils, os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from queuefile import Queue, parse, HELD

MSGLINE = re.compile(r"^(\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000) #(\d+) (\d+) <([^>\n]*)>( held)?$")
RCPTLINE = re.compile(r"^\t(new|local|remote|done|failed)\t(.*)$")
STATE = {"T": "new", "L": "local", "R": "remote", "D": "done", "X": "failed"}


def listing(text):
    """[(birth, id, size, sender, held, [(state, addr)])], or an AssertionError naming the line."""
    out = []
    for line in text.decode().split("\n")[:-1]:
        m, r = MSGLINE.match(line), RCPTLINE.match(line)
        assert m or (r and out), "unexpected line %r" % line
        if m:
            birth = int(email.utils.parsedate_to_datetime(m.group(1)).timestamp())
            out.append((birth, int(m.group(2)), int(m.group(3)), m.group(4), bool(m.group(5)), []))
        else:
            out[-1][5].append((r.group(1), r.group(2)))
    assert text.endswith(b"\n") or not text
    return out


def expected(q, ident):
    f = parse(q.where(ident))
    held = f.get("N") == HELD and f.get("M") == HELD
    clean = lambda b: re.sub(r"[\x00-\x1f\x7f]", "?", b.decode())
    return (f["birth"], ident, len(f["body"]), clean(f["sender"]), held,
            [(STATE[l], clean(a)) for l, a, _ in f["rcpts"]])


def qread(q, *args):
    return q.run(["qmail-qread"] + list(args))


q = Queue()
rc, out, err = qread(q)
tap.is_((rc, out, err), (0, b"", b""), "empty queue: nothing listed, exit 0")
rc, out, err = q.run(["qmail-qstat"])
tap.is_((rc, out), (0, b"messages in queue: 0\nmessages in queue but not yet preprocessed: 0\n"), "empty queue: qmail-qstat counts 0")

one = q.queue(b"Subject: one\n\nfirst body\n", b"a@example.org", [b"x@remote.example", b"demo@localhost"])
two = q.queue(b"Subject: two\n\n", b"", [b"postmaster@example.net"])
three = q.queue(b"Subject: three\n\nthird\n" * 50, b"evil\x1b[31m@x.org", [b"r\nq@y.org", b"plain@y.org"])

# one: classified (R and D) and moved to mess/ by qmail-clean, its birth made the oldest
f = parse(q.path("todo", one))
(_, _, r1), (_, _, r2) = f["rcpts"]
older = b"%d" % (f["birth"] - 100)
assert len(older) == len(b"%d" % f["birth"])
# qmail-clean refuses to change a birth time, so the test back-dates the file itself
fd = os.open(q.path("todo", one), os.O_WRONLY)
os.pwrite(fd, older, f["Boff"])
os.close(fd)
answers = q.clean(b"wt %d %d R" % (one, r1), b"wt %d %d D" % (one, r2), b"m %d" % one)
tap.is_(answers, [b"+"] * 3, "qmail-clean classified and moved the first message")
# three: held (both next-try times at 999999999999)
f3 = parse(q.path("todo", three))
tap.is_(q.clean(b"wt %d %d %d" % (three, f3["Noff"], HELD), b"wt %d %d %d" % (three, f3["Moff"], HELD)), [b"+", b"+"], "third message put on hold")

# two: only its next local try at the hold value, which is not a hold
f2 = parse(q.path("todo", two))
tap.is_(q.clean(b"wt %d %d %d" % (two, f2["Noff"], HELD)), [b"+"], "second message: N alone at 999999999999")

rc, out, err = qread(q)
tap.is_((rc, err), (0, b""), "listing: exit 0, nothing on stderr", err)
try:
    got = listing(out)
except AssertionError as e:
    got = str(e)
want = sorted([expected(q, i) for i in (one, two, three)])
tap.is_(got, want, "listing matches the files: date, id, size, sender, held, recipients in order", out.decode(errors="replace"))
tap.is_([m[1] for m in got] if isinstance(got, list) else got, [one] + sorted([two, three], key=lambda i: (parse(q.where(i))["birth"], i)),
        "sorted by arrival, then id: the back-dated message first")
tap.ok(b"\t<" not in out and b"\x1b" not in out and b"\tnew\tr?q@y.org\n" in out, "control characters printed as ?", out)
tap.ok(re.search(rb"#%d \d+ <evil\?\[31m@x.org> held\n" % three, out), "held marker on the held message", out)
tap.ok(re.search(rb"#%d \d+ <>\n" % two, out), "null sender shown as <>, not held with N alone", out)
tap.ok(b"\tremote\tx@remote.example\n\tdone\tdemo@localhost\n" in out, "states of the classified message", out)

rc, out, err = q.run(["qmail-qstat"])
tap.is_((rc, out, err), (0, b"messages in queue: 3\nmessages in queue but not yet preprocessed: 2\n", b""), "qmail-qstat: 3 in queue, 2 not preprocessed")

# a message seen in both todo/ and mess/ (as in the middle of its move) counts once
os.link(q.path("todo", two), q.path("mess", two))
rc, out, err = q.run(["qmail-qstat"])
tap.is_((rc, out), (0, b"messages in queue: 3\nmessages in queue but not yet preprocessed: 2\n"), "qmail-qstat counts a message in both directories once")
tap.is_(sorted(m[1] for m in listing(qread(q)[1])), sorted([one, two, three]), "qmail-qread lists it once")
os.unlink(q.path("mess", two))

# one message
rc, out, err = qread(q, "-i", str(one))
f = parse(q.where(one))
fields = [tuple(l.split(": ", 1)) for l in out.decode().splitlines()]
tap.is_(rc, 0, "-i: exit 0", err)
tap.is_([k for k, v in fields], ["id", "file", "arrival", "size", "from", "uid", "pid", "held", "next local try", "next remote try", "recipient", "recipient"], "-i: the fields in order")
d = dict(fields)
tap.is_((d.get("id"), d.get("file"), d.get("size"), d.get("from"), d.get("uid"), d.get("held")),
        (str(one), "mess/%d/%d" % (one % 23, one), str(len(f["body"])), "<a@example.org>", str(os.getuid()), "no"), "-i: id, file, size, sender, uid, held")
tap.is_(int(email.utils.parsedate_to_datetime(d.get("arrival", "x, 1 Jan 1970 00:00:00 +0000")).timestamp()), f["birth"], "-i: arrival is the birth record")
tap.is_([v for k, v in fields if k == "recipient"], ["remote x@remote.example", "done demo@localhost"], "-i: recipients with their states")
tap.is_((d.get("next local try"), d.get("next remote try")), ("none", "none"), "-i: next tries never set: none")
rc, out, err = qread(q, "-i", str(three))
tap.ok(rc == 0 and b"held: yes\n" in out, "-i: held: yes for the held message", out)
rc, out, err = qread(q, "-b", "-i", str(three))
tap.is_((rc, out), (0, parse(q.where(three))["body"]), "-b: the message byte for byte, from its Received line")
for args, code, msg in [(["-i", "12345678"], 100, b"qmail-qread: fatal: no message 12345678 in the queue\n"),
                        (["-i", "../mess"], 100, b"qmail-qread: fatal: malformed message id: ../mess\n"),
                        (["-i", "0%d" % one], 100, b"qmail-qread: fatal: malformed message id: 0%d\n" % one),
                        (["-i", "99999999999999999999999"], 100, b"qmail-qread: fatal: malformed message id: 99999999999999999999999\n")]:
    tap.is_(qread(q, *args), (code, b"", msg), "qmail-qread %s: exit %d and why" % (" ".join(args), code))

# a damaged file and a misplaced one: warned about by name, the rest listed, exit 111
bad = 23 * 1000 + 5
with open(q.path("mess", bad), "wb") as fh:
    fh.write(b"QMQ1 000000001024\ngarbage")
misplaced = os.path.join(q.q, "todo", "0", "24")
open(misplaced, "wb").close()
rc, out, err = qread(q)
tap.is_(rc, 111, "damaged file: exit 111")
tap.ok(b"qmail-qread: warning: damaged message file mess/5/%d\n" % bad in err, "damaged file named on stderr", err)
tap.ok(b"qmail-qread: warning: todo/0/24 is in the wrong subdirectory\n" in err, "misplaced file named on stderr", err)
tap.is_(sorted(m[1] for m in listing(out)), sorted([one, two, three]), "the other messages still listed")
rc, out, err = qread(q, "-i", str(bad))
tap.is_((rc, err), (111, b"qmail-qread: fatal: damaged message file mess/5/%d\n" % bad), "-i of a damaged file: 111")
rc, out, err = q.run(["qmail-qstat"])
tap.is_((rc, out), (111, b"messages in queue: 4\nmessages in queue but not yet preprocessed: 2\n"), "qmail-qstat counts the damaged file, not the misplaced one, and exits 111")
os.unlink(misplaced)
os.unlink(q.path("mess", bad))

# a message delivered and removed: gone from both
tap.is_(q.clean(b"r %d" % one), [b"+"], "qmail-clean removed the first message")
rc, out, err = qread(q)
tap.is_((rc, sorted(m[1] for m in listing(out))), (0, sorted([two, three])), "removed message no longer listed")
rc, out, err = q.run(["qmail-qstat"])
tap.is_(out, b"messages in queue: 2\nmessages in queue but not yet preprocessed: 2\n", "qmail-qstat after the removal")

# the queue as a user who may not read it, and no queue at all
if os.getuid() != 0:
    os.chmod(os.path.join(q.q, "mess", "3"), 0)
    rc, out, err = q.run(["qmail-qstat"])
    tap.ok(rc == 111 and b"unable to open mess/3" in err, "unreadable subdirectory: warned, 111", err)
    os.chmod(os.path.join(q.q, "mess", "3"), 0o700)
else:
    tap.ok(True, "# skip unreadable directory check needs a non-root user")
env = dict(q.env)
for prog in ("qmail-qread", "qmail-qstat"):
    q.env["QMAILHOME"] = q.home + "/none"
    rc, out, err = q.run([prog])
    q.env = env
    tap.is_((rc, out), (111, b""), "%s without a home: 111, nothing listed" % prog)
    tap.ok(err.startswith(prog.encode() + b": fatal: unable to chdir to "), "%s says why" % prog, err)
tap.done()
