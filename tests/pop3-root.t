#!/usr/bin/env python3
"""As root (skipped otherwise), the deployed uid separation: under tcpserver qmail-popup runs
as root and qmail-pop3d as the mailbox owner (read from /proc/PID/status); qmail-pop3d
refuses to run as root; a system user (qmtestp, created if missing, its password set for the
test) logs in through getspnam and crypt(3)."""
import os, poplib, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pwd, tap, pop3lib
from pop3lib import PASS1
from procs import programs

if os.geteuid() != 0:
    print("1..0 # SKIP not root")
    sys.exit(0)


def uids(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]


s = pop3lib.Pop3Server()
s.deliver(pop3lib.message(1))
p = poplib.POP3("127.0.0.1", s.port, timeout=20)
p.user("u1")
p.pass_(PASS1)
procs = programs(s.bin)
pop3d = [pid for pid, name in procs.items() if name == "qmail-pop3d"]
popup = [pid for pid, name in procs.items() if name == "qmail-popup"]
tap.ok(len(pop3d) == 1 and uids(pop3d[0]) == [s.pw.pw_uid] * 4, "qmail-pop3d runs as the mailbox owner (real, effective, saved, fs uids)",
       "%r %r" % (procs, [uids(x) for x in pop3d]))
tap.ok(len(popup) == 1 and uids(popup[0]) == [0] * 4, "qmail-popup stays root, waiting")
tap.is_(p.stat()[0], 1, "the session works")
p.quit()

r = subprocess.run([os.path.join(s.bin, "qmail-pop3d"), "Maildir"], cwd=s.mhome, capture_output=True, timeout=30,
                   env=s.env({"TIMEOUTPOP3D": "5"}))
tap.ok(r.returncode == 100 and b"refusing to run as root" in r.stderr and not r.stdout, "qmail-pop3d refuses uid 0", r.stderr)

# a system user: getpwnam + getspnam + crypt(3)
home = os.path.join(s.top, "syshome")
os.makedirs(os.path.join(home, "Maildir"))
for d in ("tmp", "new", "cur"):
    os.mkdir(os.path.join(home, "Maildir", d))
pw = pwd
try:
    spw = pw.getpwnam("qmtestp")
except KeyError:
    subprocess.run(["useradd", "-M", "-N", "-r", "-s", "/usr/sbin/nologin", "qmtestp"], capture_output=True)
    spw = pw.getpwnam("qmtestp")
subprocess.run(["usermod", "-d", home, "-p", pop3lib.crypt_sha512("sys pass", "qmsyssalt"), "qmtestp"], check=True, capture_output=True)
for root, dirs, files in os.walk(home):
    os.chown(root, spw.pw_uid, spw.pw_gid)
with open(os.path.join(home, "Maildir", "new", "1.M1P1.x"), "wb") as f:
    f.write(b"Subject: system user\n\nhi\n")
os.chown(os.path.join(home, "Maildir", "new", "1.M1P1.x"), spw.pw_uid, spw.pw_gid)
p = poplib.POP3("127.0.0.1", s.port, timeout=20)
p.user("qmtestp")
try:
    p.pass_("wrong")
    tap.ok(False, "system user, wrong password refused")
except poplib.error_proto as e:
    tap.ok(e.args[0].startswith(b"-ERR [AUTH]"), "system user, wrong password refused", e)
p.user("qmtestp")
p.pass_("sys pass")
tap.is_(p.retr(1)[1], [b"Subject: system user", b"", b"hi"], "system user logs in (shadow, crypt) and reads its Maildir")
p.quit()
subprocess.run(["usermod", "-p", "!", "qmtestp"], capture_output=True)
s.stop()
tap.done()
