#!/usr/bin/env python3
"""qmail-getpw.t: qmail-getpw(8)'s rules against the real password database. As root, test
accounts qmgp* are created once with useradd (kept between runs; homes under
/var/tmp/qmtest-getpw); the alias account and an unreadable database are staged in a private
mount namespace (unshare -m), so the machine's own files never change. As another user, the
current account and the refusals are tested and the rest is skipped."""
import os, pwd, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch, run

ROOT = os.geteuid() == 0
BASE = "/var/tmp/qmtest-getpw"
d = scratch()


def getpw(local, wrap=()):
    rc, out, err = run(list(wrap) + ["qmail-getpw", local])
    return rc, out, err


def fields(pw, dash, ext):
    return ("\0".join([pw.pw_name, str(pw.pw_uid), str(pw.pw_gid), pw.pw_dir, dash, ext]) + "\0").encode()


def catchall(local):
    """(exit, stdout, stderr) that the alias rule gives on this machine."""
    try:
        pw = pwd.getpwnam("alias")
        if pw.pw_uid:
            return 0, fields(pw, "-", local), b""
    except KeyError:
        pass
    return 100, b"", b"qmail-getpw: fatal: no account in charge of %s and no account alias\n" % (local.encode() or b"the empty address")


def check(local, want, name, wrap=()):
    rc, out, err = getpw(local, wrap)
    is_((rc, out, err), want, name)


def ensure_user(name, home):
    """useradd once; later runs only fix the home if it moved. Safe against a parallel run."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-M", "-N", "-r", "-d", home, "-s", "/usr/sbin/nologin", name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pw = pwd.getpwnam(name)
    if pw.pw_dir != home:
        subprocess.run(["usermod", "-d", home, name], check=True)
        pw = pwd.getpwnam(name)
    return pw


for args in ([], ["a", "b"], ["-x", "a"]):
    rc, out, err = run(["qmail-getpw"] + args)
    ok(rc == 100 and out == b"" and err == b"qmail-getpw: usage: qmail-getpw local\n", "usage error for %r" % (args,), err)

check("root", catchall("root"), "root (uid 0) is never a user: alias rule")
check("Root-ext", catchall("Root-ext"), "nor root-ext")
check("qm-no-such-account", catchall("qm-no-such-account"), "an unknown name: alias rule, the whole local part as ext")
check("", catchall(""), "the empty local part: alias rule")
check("a" * 40, catchall("a" * 40), "a name of 32 characters or more is never looked up")

me = pwd.getpwuid(os.getuid())
if not ROOT:
    st = os.stat(me.pw_dir) if os.path.isdir(me.pw_dir) else None
    mine = st is not None and st.st_uid == me.pw_uid and me.pw_name == me.pw_name.lower() and len(me.pw_name) < 32
    if mine:
        check(me.pw_name, (0, fields(me, "", ""), b""), "the current user")
        check(me.pw_name.upper() + "-Some-Ext", (0, fields(me, "-", "Some-Ext"), b""), "USER-Some-Ext: case-free user, ext kept")
    else:
        check(me.pw_name, catchall(me.pw_name), "the current user without an own home: alias rule")
    for _ in range(8):
        ok(True, "# skip test accounts need root")
    done()

os.makedirs(BASE, exist_ok=True)
os.chmod(BASE, 0o755)
users = {}
for name in ("qmgpjoe", "qmgpjoe-list", "qmgpnohome", "qmgpnotown", "qmgpfile"):
    users[name] = ensure_user(name, os.path.join(BASE, name))
for name in ("qmgpjoe", "qmgpjoe-list"):
    h = users[name].pw_dir
    os.makedirs(h, exist_ok=True)
    os.chown(h, users[name].pw_uid, users[name].pw_gid)
shutil.rmtree(users["qmgpnohome"].pw_dir, ignore_errors=True)
os.makedirs(users["qmgpnotown"].pw_dir, exist_ok=True)
os.chown(users["qmgpnotown"].pw_dir, 0, 0)
h = users["qmgpfile"].pw_dir
if os.path.isdir(h):
    os.rmdir(h)
open(h, "w").close()
os.chown(h, users["qmgpfile"].pw_uid, 0)

joe, jl = users["qmgpjoe"], users["qmgpjoe-list"]
check("qmgpjoe", (0, fields(joe, "", ""), b""), "user: dash and ext empty")
check("qmgpjoe-ext", (0, fields(joe, "-", "ext"), b""), "user-ext: dash -, ext")
check("qmgpjoe-", (0, fields(joe, "-", ""), b""), "user-: dash -, empty ext")
check("QmgpJoe-Some-Ext", (0, fields(joe, "-", "Some-Ext"), b""), "the user in any case; ext keeps its case")
check("qmgpjoe-list", (0, fields(jl, "", ""), b""), "an account name with a dash")
check("qmgpjoe-list-x", (0, fields(jl, "-", "x"), b""), "the longest account name first")
check("qmgpjoe-lis", (0, fields(joe, "-", "lis"), b""), "then a shorter one")
check("qmgpjoex", catchall("qmgpjoex"), "no break after the name: not the user")
check("qmgpnohome", catchall("qmgpnohome"), "home missing: not a user")
check("qmgpnohome-x", catchall("qmgpnohome-x"), "home missing, with ext: alias rule, whole local")
check("qmgpnotown", catchall("qmgpnotown"), "home owned by someone else: not a user")
check("qmgpfile", catchall("qmgpfile"), "home not a directory: not a user")

# staged password databases, in a private mount namespace
NS = ["unshare", "-m", "sh", "-ec", 'mount --bind "$1" /etc/passwd; [ -z "$2" ] || mount --bind "$2" /etc/nsswitch.conf; shift 2; exec "$@"', "sh"]
if subprocess.run(["unshare", "-m", "true"], stderr=subprocess.DEVNULL).returncode == 0:
    real = open("/etc/passwd").read()
    withalias = os.path.join(d, "passwd.alias")
    open(withalias, "w").write("".join(l + "\n" for l in real.splitlines() if not l.startswith("alias:"))
                               + "alias:x:7790:2108::/var/qmail/alias:/bin/false\n")
    os.chmod(withalias, 0o644)
    alias = pwd.struct_passwd(("alias", "x", 7790, 2108, "", "/var/qmail/alias", "/bin/false"))
    check("bill", (0, fields(alias, "-", "bill"), b""), "an alias account: dash -, ext the whole local part", NS + [withalias, ""])
    check("Root-X", (0, fields(alias, "-", "Root-X"), b""), "alias for root's addresses, case kept", NS + [withalias, ""])
    check("qmgpjoe-x", (0, fields(joe, "-", "x"), b""), "users still win over alias", NS + [withalias, ""])
    rootalias = os.path.join(d, "passwd.rootalias")
    open(rootalias, "w").write("".join(l + "\n" for l in real.splitlines() if not l.startswith("alias:"))
                               + "alias:x:0:0::/var/qmail/alias:/bin/false\n")
    check("bill", (100, b"", b"qmail-getpw: fatal: no account in charge of bill and no account alias\n"),
          "an alias account with uid 0 is refused", NS + [rootalias, ""])
    # an unreadable database is temporary trouble, not "no such user"
    locked = os.path.join(d, "passwd.locked")
    open(locked, "w").write(real)
    os.chmod(locked, 0)
    files = os.path.join(d, "nsswitch.conf")
    open(files, "w").write("passwd: files\ngroup: files\n")
    os.chmod(files, 0o644)
    rc, out, err = getpw("qmgpjoe", NS + [locked, files, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
    ok(rc == 111 and out == b"" and err.startswith(b"qmail-getpw: fatal: unable to look up the account in charge of qmgpjoe: "),
       "unreadable password database: 111, nothing on stdout", err)
else:
    for _ in range(5):
        ok(True, "# skip unshare -m not permitted here")
done()
