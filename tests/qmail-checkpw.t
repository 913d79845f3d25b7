#!/usr/bin/env python3
"""qmail-checkpw on its own (fd 3 protocol, exit codes 0/1/2/111, environment, uid rules) and
qmail-newpop3 (compilation, refusals that leave the cdb alone). Runs as root and as an
ordinary user: as root, the programs run either as root or, through setpriv, as the test
account, to check that only root may switch uids."""
import os, struct, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, pop3lib
from pop3lib import PASS1, PASS2

s = pop3lib.Pop3Server()
s.stop()
CHECKPW = os.path.join(s.bin, "qmail-checkpw")
ROOT = pop3lib.qlocal.ROOT


def checkpw(data, prog=("sh", "-c", "echo $USER $HOME $SHELL; pwd; id -u"), asuser=False, extra_args=None):
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    argv = [CHECKPW] + list(prog)
    if extra_args is not None:
        argv = [CHECKPW] + extra_args
    if asuser and ROOT:  # a single-user instance: the user owns the cdb
        s.give(os.path.join(s.qhome, "users", "pop3passwd.cdb"))
        argv = ["setpriv", "--reuid=%d" % s.pw.pw_uid, "--regid=%d" % s.pw.pw_gid, "--clear-groups", "--"] + argv
    p = subprocess.run(argv, capture_output=True, env=s.env(), preexec_fn=lambda: os.dup2(r, 3), pass_fds=(r,), timeout=30)
    os.close(r)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def cdb(path, records):
    """Write a cdb (cr.yp.to/cdb/cdb.txt) by hand, for entries qmail-newpop3 would refuse."""
    def h(k):
        v = 5381
        for c in k:
            v = ((v << 5) + v ^ c) & 0xffffffff
        return v
    body, slots = b"", [[] for _ in range(256)]
    for k, v in records:
        slots[h(k) & 255].append((h(k), 2048 + len(body)))
        body += struct.pack("<II", len(k), len(v)) + k + v
    head, tables = b"", b""
    for sl in slots:
        n = 2 * len(sl)
        t = [(0, 0)] * n
        for hv, pos in sl:
            i = (hv >> 8) % n
            while t[i][1]:
                i = (i + 1) % n
            t[i] = (hv, pos)
        head += struct.pack("<II", 2048 + len(body) + len(tables), n)
        tables += b"".join(struct.pack("<II", a, b) for a, b in t)
    with open(path, "wb") as f:
        f.write(head + body + tables)


me = s.pw.pw_uid
rc, out, err = checkpw(b"u1\0" + PASS1.encode() + b"\0\0", asuser=True)
tap.is_((rc, out.split("\n")[:3]), (0, ["u1 %s /bin/sh" % s.mhome, s.mhome, str(me)]), "good password: USER HOME SHELL, cwd, uid", err)
rc, out, err = checkpw(b"u2\0" + PASS2.encode() + b"\0\0")
tap.is_((rc, out.split("\n")[2]), (0, str(me)), "crypt(3) user: runs as the mapped uid", err)
tap.is_(checkpw(b"u1\0wrong\0\0")[0], 1, "bad password: 1")
tap.is_(checkpw(b"nosuchuser\0x\0\0")[0], 1, "unknown user: 1")
tap.is_(checkpw(b"u1\0" + PASS1.encode() + b"\0<1.2@h>\0")[0], 1, "a timestamp means APOP: the plain password fails")
import hashlib
dig = hashlib.md5(b"<1.2@h>" + PASS1.encode()).hexdigest().encode()
tap.is_(checkpw(b"u1\0" + dig + b"\0<1.2@h>\0")[0], 0, "APOP digest accepted")
tap.is_(checkpw(b"u2\0" + hashlib.md5(b"<1.2@h>" + PASS2.encode()).hexdigest().encode() + b"\0<1.2@h>\0")[0], 1, "no APOP for a crypt(3) entry")
tap.is_(checkpw(b"u1\0" + PASS1.encode() + b"\0")[0], 2, "truncated request: 2")
tap.is_(checkpw(b"u1\0" + b"x" * 600 + b"\0\0")[0], 2, "more than 512 bytes: 2")
tap.is_(checkpw(b"u1\0x\0\0", extra_args=[])[0], 2, "no program: 2")

# a user mapped to another uid: only root can become it
s.passwd({"u1": "{plain}" + PASS1}, uid=me + 1 if me + 1 != 0 else 65534)
rc, out, err = checkpw(b"u1\0" + PASS1.encode() + b"\0\0", asuser=True)
tap.ok(rc == 111 and "not root" in err, "not root and another uid: 111 with a clear message", err)
if ROOT:
    rc, out, err = checkpw(b"u1\0" + PASS1.encode() + b"\0\0")
    tap.ok(rc == 0 and out.split("\n")[2] == str(me + 1), "root becomes the mapped uid", err)
    with open(os.path.join(s.qhome, "users", "pop3passwd.cdb"), "wb"):
        pass
    cdb(os.path.join(s.qhome, "users", "pop3passwd.cdb"), [(b"r", b"{plain}x\x000\x000\x00/\x00")])
    rc, out, err = checkpw(b"r\0x\0\0")
    tap.ok(rc == 1 and "uid 0" in err and not out, "a uid 0 target is refused", err)

# qmail-newpop3
cdbpath = os.path.join(s.qhome, "users", "pop3passwd.cdb")
p = s.passwd({"u1": "{plain}" + PASS1})
tap.ok(p.returncode == 0 and oct(os.stat(cdbpath).st_mode & 0o777) == "0o600", "qmail-newpop3: cdb of mode 0600", p.stderr)
before = open(cdbpath, "rb").read()
for text, why in (("a:b:0:1:/h\n", "uid 0 is refused"), ("a:b:1:1:h\n", "home is not an absolute path"),
                  ("a:b:1\n", "fewer than 5 fields"), ("a:b:1:1:/h\na:c:1:1:/h\n", "user listed twice"),
                  ("a:b:1:1:/h", "no newline at the end")):
    with open(os.path.join(s.qhome, "users", "pop3passwd"), "w") as f:
        f.write("# comment\n\n" + text)
    p = s.newpop3()
    tap.ok(p.returncode == 111 and why.encode() in p.stderr and open(cdbpath, "rb").read() == before
           and not os.path.exists(os.path.join(s.qhome, "users", "pop3passwd.tmp")),
           "qmail-newpop3 refuses: " + why + "; cdb unchanged", p.stderr)
# -a (SMTP AUTH in qmail-smtpd): check only, no change of uid, directory or environment
probe = ("sh", "-c", "echo ${USER:-none}; pwd; id -u")
rc, out, err = checkpw(b"u1\0" + PASS1.encode() + b"\0\0", extra_args=["-a"] + list(probe), asuser=True)
tap.is_((rc, out.split("\n")[1:3]), (0, [os.getcwd(), str(me)]), "-a: a good password runs prog where and as it was", err)
rc, out, err = checkpw(b"u1\0wrong\0\0", extra_args=["-a"] + list(probe), asuser=True)
tap.is_((rc, out), (1, ""), "-a: a wrong password exits 1 and runs nothing", err)
if ROOT:
    rc, out, err = checkpw(b"u1\0" + PASS1.encode() + b"\0\0", extra_args=["-a"] + list(probe))
    tap.is_((rc, out.split("\n")[2:3]), (0, ["0"]), "-a as root: the uid stays root (no switch to the user)", err)
tap.done()
