#!/usr/bin/env python3
"""A real install's uid separation (DESIGN.md §3), as root: the qmail users (created if
missing), the queue owned as tools/mkqueue sets it, qmail-start as root; then the uid of every
running program is checked while a delivery is in progress, and the mail arrives."""
import glob, grp, os, pwd, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from instance import COMPONENTS, programs, wait_for

if os.geteuid() != 0:
    print("1..0 # skip needs root")
    sys.exit(0)

def ensure_group(g):
    try:
        grp.getgrnam(g)
    except KeyError:
        subprocess.run(["groupadd", "-f", g], check=True)

def ensure_user(u, g, home="/nonexistent"):
    try:
        return pwd.getpwnam(u)
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-g", g, "-d", home, "-s", "/usr/sbin/nologin", u],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return pwd.getpwnam(u)

for g in ("nofiles", "qmail", "qmtestr"):
    ensure_group(g)
# only the accounts this test needs: an alias account would change other tests' lookups
users = {u: ensure_user(u, "nofiles") for u in ("qmaild", "qmaill", "qmailp")}
users.update({u: ensure_user(u, "qmail") for u in ("qmailq", "qmailr", "qmails")})
rcpt = ensure_user("qmtestr", "qmtestr")

tempfile.tempdir = "/tmp"
home = tap.scratch()
os.chmod(home, 0o755)
bindir = os.path.join(home, "bin")
os.mkdir(bindir)
for d in COMPONENTS:
    for p in glob.glob(os.path.join(tap.TOP, d, "*")):
        if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p):
            shutil.copy(p, bindir)
subprocess.run([os.path.join(tap.TOP, "tools", "mkqueue"), home], check=True)
os.mkdir(os.path.join(home, "control"))
for name, text in (("me", "localhost\n"), ("locals", "localhost\n"), ("smtproutes", ":127.0.0.1:1\n")):
    with open(os.path.join(home, "control", name), "w") as f:
        f.write(text)
mailbox_home = os.path.join(home, "users", "r")
os.makedirs(mailbox_home)
for d in ("", "tmp", "new", "cur"):
    os.makedirs(os.path.join(mailbox_home, "Maildir", d), 0o700, exist_ok=True)
with open(os.path.join(mailbox_home, ".qmail"), "w") as f:
    f.write("|sleep 2\n./Maildir/\n")   # a slow program line keeps qmail-local alive to be seen
for root, dirs, files in os.walk(mailbox_home):
    for x in [root] + [os.path.join(root, y) for y in files]:
        os.chown(x, rcpt.pw_uid, rcpt.pw_gid)
os.chmod(os.path.join(mailbox_home, ".qmail"), 0o644)
os.chmod(os.path.join(home, "users"), 0o755)
with open(os.path.join(home, "users", "assign"), "w") as f:
    f.write("=r:qmtestr:%d:%d:%s:::\n.\n" % (rcpt.pw_uid, rcpt.pw_gid, mailbox_home))
env = dict(os.environ, QMAILHOME=home)
tap.is_(subprocess.run([os.path.join(bindir, "qmail-newu")], env=env, cwd=home).returncode, 0, "qmail-newu")

st = os.stat(os.path.join(home, "queue", "mess", "0"))
tap.is_((pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, oct(st.st_mode & 0o777)), ("qmailq", "qmail", "0o750"), "queue subdirectories: qmailq, group qmail, 0750")

log = open(os.path.join(home, "log"), "wb")
proc = subprocess.Popen([os.path.join(bindir, "qmail-start"), "./Maildir/"], stdout=log, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, env=env, cwd=home)
def logtext():
    return open(os.path.join(home, "log"), "rb").read().decode(errors="replace")

# qmail-queue as qmailq with a foreign gid, as its setuid bit makes it in a real install: the
# setgid pid/ directory must still give the file group qmail
efile = os.path.join(home, "envelope")
with open(efile, "wb") as f:
    f.write(b"Fsomeone@example.org\0Tr@localhost\0Tfar@remote.example\0\0")
os.chmod(efile, 0o644)
with open(efile, "rb") as e:
    q = subprocess.run(["setpriv", "--reuid=qmailq", "--regid=nogroup", "--clear-groups", "--", os.path.join(bindir, "qmail-queue")],
                       input=b"Subject: uids\n\nchecked\n", stdout=e, env=env)
tap.is_(q.returncode, 0, "queued as qmailq")

def running():
    """{program: set of account names it runs as} (effective uid)."""
    out = {}
    for pid, prog in programs(bindir).items():
        try:
            uid = int([l for l in open("/proc/%d/status" % pid) if l.startswith("Uid:")][0].split()[2])
            out.setdefault(prog, set()).add(pwd.getpwuid(uid).pw_name)
        except (OSError, KeyError, IndexError):
            pass
    return out

seen = wait_for(lambda: (lambda r: r if "qmail-local" in r else None)(running()), 20) or running()
want = {"qmail-send": {"qmails"}, "qmail-todo": {"qmails"}, "qmail-clean": {"qmailq"}, "qmail-lspawn": {"root"}, "qmail-local": {"qmtestr"},
        "qmail-rspawn": {"qmailr"}}
for prog, uids in sorted(want.items()):
    tap.is_(seen.get(prog), uids, "%s runs as %s" % (prog, "/".join(sorted(uids))), logtext())
tap.is_(sorted(p for p, u in seen.items() if "root" in u), ["qmail-lspawn"], "only qmail-lspawn runs as root")
tap.ok(wait_for(lambda: glob.glob(os.path.join(mailbox_home, "Maildir", "new", "*")), 20), "delivered as qmtestr", logtext())
got = glob.glob(os.path.join(mailbox_home, "Maildir", "new", "*"))
if got:
    tap.is_(pwd.getpwuid(os.stat(got[0]).st_uid).pw_name, "qmtestr", "the Maildir file belongs to the recipient")
# qmail-remote ran as qmailr: it read the queued message and wrote the dead-host table
tap.ok(wait_for(lambda: "deferral: Sorry, I wasn't able to establish an SMTP connection" in logtext(), 20), "remote delivery deferred (closed port)", logtext())
tcpto = os.path.join(home, "queue", "lock", "tcpto")
tap.is_(pwd.getpwuid(os.stat(tcpto).st_uid).pw_name, "qmailr", "lock/tcpto belongs to qmailr")
tap.ok(b"\x7f\0\0\x01" in open(tcpto, "rb").read(), "qmail-remote recorded 127.0.0.1 in lock/tcpto")
proc.terminate()
tap.is_(proc.wait(timeout=30), 0, "qmail-send stops on SIGTERM")
tap.ok(wait_for(lambda: not running(), 10), "no program left", running())
tap.done()
