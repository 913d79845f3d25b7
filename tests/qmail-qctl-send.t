#!/usr/bin/env python3
"""qmail-qctl against a running delivery system (tests/instance.py): a hold made while
qmail-send is down survives its start and classification; then hold, release, flush and
delete through lock/ctl, checked in the message file, in qmail-send's log, in the Maildir
(a released message is delivered) and by the absence of a bounce after a delete."""
import os, re, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from instance import Instance, wait_for
from queuefile import parse, HELD

def tok(cond, name, diag=None):
    tap.ok(cond, name, diag)


def tis(got, want, name, diag=None):
    tap.is_(got, want, name, diag)

inst = Instance()


def ids():
    return {int(os.path.basename(p)) for p in inst.queued()}


def queue(body, sender, rcpts):
    before = ids()
    tap.is_(inst.queue(body, sender, rcpts), 0, "queued for %s" % ", ".join(rcpts))
    new = ids() - before
    return new.pop() if len(new) == 1 else None


def path(ident, sub="mess"):
    return os.path.join(inst.home, "queue", sub, str(ident % 23), str(ident))


def times(ident):
    try:
        f = parse(path(ident))
        return f["N"], f["M"]
    except OSError:
        return None


def qctl(*args):
    p = inst.run(["qmail-qctl"] + [str(a) for a in args])
    return p.returncode, p.stdout, p.stderr


def logged(pattern):
    return re.search(pattern, inst.logtext())


def reader():
    """Does anything read lock/ctl (how qmail-qctl knows qmail-send runs)?"""
    try:
        os.close(os.open(os.path.join(inst.home, "queue", "lock", "ctl"), os.O_WRONLY | os.O_NONBLOCK))
        return True
    except OSError:
        return False


# held while qmail-send is down: the hold survives qmail-todo and qmail-send's start
local = queue(b"Subject: held local\n\nwait for release\n", "a@example.org", ["demo@localhost"])
tap.is_(qctl("hold", local), (0, b"%d: held\n" % local, b""), "hold with qmail-send down: done directly")
inst.start()
tap.ok(wait_for(lambda: os.path.exists(path(local))), "qmail-todo moved the held message to mess/", inst.logtext())
time.sleep(1)
tap.is_(inst.maildir_new(), [], "a held local message is not delivered")
tap.is_(times(local), (HELD, HELD), "classification kept the hold")

remote = queue(b"Subject: remote\n\nstays queued\n", "demo@localhost", ["x@remote.example"])
tap.ok(wait_for(lambda: os.path.exists(path(remote))), "the remote message reached mess/ (no qmail-rspawn: it stays)", inst.logtext())


tok(wait_for(reader, 5), "qmail-send reads lock/ctl")

rc = qctl("hold", remote)
tis(rc, (0, b"%d: held\n" % remote, b""), "hold: exit 0, reported")
tis(times(remote), (HELD, HELD), "hold: N and M at 999999999999")
tok(wait_for(lambda: logged(r"hold msg %d\n" % remote), 5), "hold: qmail-send logged it", inst.logtext())
tok(re.search(rb"#%d \d+ <demo@localhost> held\n" % remote, inst.run(["qmail-qread"]).stdout), "qmail-qread shows it held")

rc = qctl("release", remote)
tis(rc, (0, b"%d: released\n" % remote, b""), "release: exit 0, reported")
t = times(remote)
tok(t and HELD not in t, "release: N and M no longer held", t)
tok(wait_for(lambda: logged(r"release msg %d\n" % remote), 5), "release: qmail-send logged it", inst.logtext())

rc = qctl("flush", remote)
tis(rc, (0, b"%d: flush requested\n" % remote, b""), "flush ID: exit 0")
tok(wait_for(lambda: logged(r"flush msg %d\n" % remote), 5), "flush ID: qmail-send logged it", inst.logtext())

# released through lock/ctl, the held local message is delivered now
rc = qctl("release", local)
tis(rc[0], 0, "release of the held local message", rc)
tok(wait_for(lambda: inst.maildir_new(), 10), "and it is delivered", inst.logtext())

# delete: gone, no delivery and no bounce to the sender (demo)
before = len(inst.maildir_new())
rc = qctl("delete", remote)
tis(rc, (0, b"%d: deleted\n" % remote, b""), "delete: exit 0, reported")
tok(not os.path.exists(path(remote)) and not os.path.exists(path(remote, "bounce")), "delete: message file gone")
tok(wait_for(lambda: logged(r"delete msg %d\n" % remote), 5), "delete: qmail-send logged it", inst.logtext())
time.sleep(1)
tis(len(inst.maildir_new()), before, "delete: no bounce delivered to the sender")
tok(not logged(r"bounce msg %d" % remote), "delete: no bounce logged", inst.logtext())

tap.is_(qctl("hold", 987654321), (100, b"", b"qmail-qctl: warning: no message 987654321 in the queue\n"), "unknown id while qmail-send runs: 100")
tap.is_(inst.stop(), 0, "SIGTERM: qmail-send exits 0")
tap.is_(inst.ours(), [], "no process of the instance left")
tap.done()
