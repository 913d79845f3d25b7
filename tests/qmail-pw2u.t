#!/usr/bin/env python3
"""qmail-pw2u.t: the home-directory rules on real directories (-o skips a home that is missing,
not a directory or owned by another uid; -h stops at a missing one; -H checks nothing), and the
whole chain passwd -> qmail-pw2u -> users/assign -> qmail-newu -> lookup. The fixed cases of
options and users/ files are golden tests (tests/golden/qmail-pw2u-*)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch, run, TOP

home = scratch()
os.mkdir(os.path.join(home, "users"))
ENV = {"QMAILHOME": home}
ROOT = os.geteuid() == 0
UID = 1234 if ROOT else os.getuid()

own = os.path.join(home, "own")
other = os.path.join(home, "other") if ROOT else "/"  # "/" belongs to root, never to us
afile = os.path.join(home, "afile")
link = os.path.join(home, "link")
missing = os.path.join(home, "missing")
os.mkdir(own)
open(afile, "w").close()
os.symlink(own, link)
if ROOT:
    os.mkdir(other)
    os.chown(own, UID, 100)
    os.chown(afile, UID, 100)
    os.chown(other, 4321, 100)

entries = [("owner", own), ("stranger", other), ("filehome", afile), ("linked", link), ("gone", missing)]
passwd = "".join("%s:x:%d:100::%s:/bin/sh\n" % (n, UID, h) for n, h in entries).encode()


def lines(name, h):
    return ["=%s:%s:%d:100:%s:::" % (name, name, UID, h), "+%s-:%s:%d:100:%s:-::" % (name, name, UID, h)]


def pw2u(*opts):
    rc, out, err = run(["qmail-pw2u"] + list(opts), stdin=passwd, env=ENV)
    return rc, out.decode().splitlines(), err


want = lines("owner", own) + lines("linked", link) + ["."]
is_(pw2u(), (0, want, b""), "default (-o): only homes that are directories owned by the account")
is_(pw2u("-o"), (0, want, b""), "-o: the same")
is_(pw2u("-H"), (0, sum((lines(n, h) for n, h in entries), []) + ["."], b""), "-H: no check at all")
is_(pw2u("-h"), (111, [], b"qmail-pw2u: fatal: home directory of filehome is not a directory: %s\n" % afile.encode()),
    "-h: a home that is not a directory stops the run, nothing on stdout")
passwd = passwd.replace(b"filehome:", b"#filehome:")
is_(pw2u("-h"), (111, [], b"qmail-pw2u: fatal: home directory of gone does not exist: %s\n" % missing.encode()),
    "-h: a missing home stops the run")
passwd = passwd.replace(b"gone:", b"#gone:")
is_(pw2u("-h"), (0, want, b""), "-h: homes owned by others are still skipped")

if not ROOT:
    locked = os.path.join(home, "locked")
    os.mkdir(locked, 0)
    passwd = b"hidden:x:%d:100::%s/h:/bin/sh\n" % (UID, locked.encode())
    is_(pw2u(), (0, ["."], b""), "a home that is not visible counts as missing")
    os.chmod(locked, 0o700)
else:
    ok(True, "# skip invisible home: root sees everything")

# the chain: the assignments compile and the lookups find the owner and the catch-all
passwd = ("owner:x:%d:100::%s:/bin/sh\nalias:x:%d:100::%s:/bin/false\n" % (UID, own, UID, own)).encode()
rc, out, err = run(["qmail-pw2u"], stdin=passwd, env=ENV)
open(os.path.join(home, "users", "assign"), "wb").write(out)
rc2, _, err2 = run(["qmail-newu"], env=ENV)
ok(rc == 0 and rc2 == 0, "qmail-pw2u | qmail-newu", err + err2)
LOOKUP = os.path.join(TOP, "tests", "unit", "assign.t")
for local, want in [("owner", "exact\nowner\n%d\n100\n%s\n\n\n" % (UID, own)),
                    ("Owner-Box", "wild\nowner\n%d\n100\n%s\n-\nBox\n" % (UID, own)),
                    ("stranger", "wild\nalias\n%d\n100\n%s\n-\nstranger\n" % (UID, own))]:
    rc, out, err = run([LOOKUP, "lookup", local], env=ENV)
    is_((rc, out.decode()), (0, want), "lookup %s after the chain" % local)
done()
