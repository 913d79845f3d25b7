#!/usr/bin/env python3
"""maildirmake.t: creation with mode 0700 whatever the umask, idempotent re-runs, refusal of
anything at DIR that is not a Maildir (left untouched), system errors and usage errors."""
import os, re, stat, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch, run

SUBS = ("tmp", "new", "cur")


def make(path, umask=0o022):
    """Run maildirmake under the given umask."""
    p = subprocess.run(["maildirmake", path], capture_output=True,
                       preexec_fn=lambda: os.umask(umask))
    return p.returncode, p.stdout, p.stderr


def tree(top):
    """Everything under top (itself included): type, mode, mtime, content."""
    out = {}
    for root, dirs, files in os.walk(top):
        for n in [""] + dirs + files:
            p = os.path.join(root, n) if n else root
            st = os.lstat(p)
            out[p] = (stat.S_IFMT(st.st_mode), st.st_mode & 0o7777, st.st_mtime_ns,
                      open(p, "rb").read() if stat.S_ISREG(st.st_mode) else None)
    if os.path.isfile(top):
        st = os.lstat(top)
        out[top] = (stat.S_IFMT(st.st_mode), st.st_mode & 0o7777, st.st_mtime_ns, open(top, "rb").read())
    return out


d = scratch()
for umask in (0o000, 0o077, 0o277):
    md = os.path.join(d, "md%03o" % umask)
    rc, out, err = make(md, umask)
    ok(rc == 0 and out == b"" and err == b"", "umask %03o: created silently" % umask, err)
    modes = [os.stat(p).st_mode for p in [md] + [os.path.join(md, s) for s in SUBS]]
    ok(all(stat.S_ISDIR(m) for m in modes), "umask %03o: four directories" % umask)
    is_([oct(m & 0o7777) for m in modes], [oct(0o700)] * 4, "umask %03o: all mode 0700" % umask)

md = os.path.join(d, "md000")
open(os.path.join(md, "new", "1.x"), "w").write("a message\n")
os.chmod(md, 0o750)
before = tree(md)
rc, out, err = make(md)
ok(rc == 0 and err == b"", "re-run on a complete Maildir: exit 0", err)
ok(tree(md) == before, "re-run: nothing changed (message, modes, times)")
rc, out, err = make(md + "/")
ok(rc == 0 and tree(md) == before, "re-run with a trailing slash")


def refused(name, path, want):
    before = tree(path)
    rc, out, err = make(path)
    is_(rc, 100, "%s: exit 100" % name)
    ok(re.fullmatch(want, err.decode()), "%s: clear message" % name, err)
    ok(tree(path) == before, "%s: left untouched" % name)


f = os.path.join(d, "file")
open(f, "w").write("not a maildir\n")
refused("a file", f, r"maildirmake: fatal: .*/file exists and is not a Maildir: not a directory\n")
empty = os.path.join(d, "empty")
os.mkdir(empty)
refused("an empty directory", empty, r"maildirmake: fatal: .*/empty exists and is not a Maildir: no tmp/ subdirectory\n")
partial = os.path.join(d, "partial")
for p in (partial, partial + "/tmp", partial + "/new"):
    os.mkdir(p)
open(partial + "/new/1.x", "w").write("x\n")
refused("a directory without cur/", partial, r"maildirmake: fatal: .*/partial exists and is not a Maildir: no cur/ subdirectory\n")
odd = os.path.join(d, "odd")
os.mkdir(odd)
os.mkdir(os.path.join(odd, "tmp"))
os.mkdir(os.path.join(odd, "new"))
open(os.path.join(odd, "cur"), "w").close()
refused("cur is a file", odd, r"maildirmake: fatal: .*/odd exists and is not a Maildir: no cur/ subdirectory\n")

rc, out, err = make(os.path.join(d, "absent", "md"))
ok(rc == 111 and re.fullmatch(rb"maildirmake: fatal: unable to mkdir .*/absent/md: No such file or directory\n", err),
   "missing parent: 111 naming the path and the reason", err)
ok(not os.path.exists(os.path.join(d, "absent")), "missing parent: nothing created")
rc, out, err = make(os.path.join(f, "md"))
ok(rc == 111 and re.search(rb"unable to mkdir .*/file/md: Not a directory\n", err), "parent is a file: 111", err)
if os.geteuid() != 0:
    ro = os.path.join(d, "ro")
    os.mkdir(ro, 0o500)
    rc, out, err = make(os.path.join(ro, "md"))
    ok(rc == 111 and re.search(rb"unable to mkdir .*/ro/md: Permission denied\n", err), "read-only parent: 111", err)
else:
    ok(True, "# skip read-only parent: root ignores permissions")

for args in ([], ["a", "b"], ["-z", "a"], [""]):
    rc, out, err = run(["maildirmake"] + args, cwd=d)
    ok(rc == 100 and err == b"maildirmake: usage: maildirmake dir\n", "usage error for %r: 100" % (args,), err)
ok(not os.path.exists(os.path.join(d, "a")), "usage errors create nothing")
done()
