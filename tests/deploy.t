#!/usr/bin/env python3
"""Deployment, on a clean copy of the tree. (1) The README's first command, sh tools/instance:
a message sent with smtplib (plain and STARTTLS) and through submission with AUTH comes back
with poplib; stop leaves no process behind. (2) As root: make install into a temporary home
with the real uids (tools/mkusers, tools/mkqueue), the services of service/ under svscan, and
the uid of every running program checked against DESIGN.md section 3."""
import atexit, glob, os, pwd, re, shutil, signal, smtplib, socket, ssl, subprocess, time, poplib
import tap
from instance import wait_for
from smtpdlib import free_port

ROOT = os.geteuid() == 0
copy = tap.scratch()
os.chmod(copy, 0o755)
src = tap.TOP
files = subprocess.run(["git", "-C", src, "ls-files", "-co", "--exclude-standard", "-z"], capture_output=True)
if files.returncode == 0:
    for f in files.stdout.decode().split("\0"):
        if f and os.path.isfile(os.path.join(src, f)) and not f.startswith("run/"):
            os.makedirs(os.path.dirname(os.path.join(copy, f)) or copy, exist_ok=True)
            shutil.copy2(os.path.join(src, f), os.path.join(copy, f))
else:
    shutil.copytree(src, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns("run", "*.o", "*.d", "*.a"))
    subprocess.run(["make", "-C", copy, "-s", "distclean"], capture_output=True)
# the skalibs built for musl (tools/musl-skalibs) is not part of the tree: share the original's
# cache rather than download and build it again
os.environ.setdefault("QM_CACHE", os.path.join(src, ".cache"))
if ROOT:
    for root, dirs, fs in os.walk(copy):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)

run = os.path.join(copy, "run")


def under_copy():
    """Pids of processes whose executable, cwd or command line is in the copy."""
    pids = []
    for p in glob.glob("/proc/[0-9]*"):
        try:
            exe = os.readlink(p + "/exe") if os.path.exists(p + "/exe") else ""
            cwd = os.readlink(p + "/cwd")
            cmd = open(p + "/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if int(p[6:]) != os.getpid() and any(x.startswith(copy + "/") or (copy + "/") in x for x in (exe, cwd, cmd)):
            pids.append((int(p[6:]), "svscan" in cmd))
    return pids


def cleanup():
    """Whatever happened: svscan first (it would restart the rest), then everything else."""
    for first in (True, False):
        for pid, scan in under_copy():
            if scan == first:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.2)
atexit.register(cleanup)
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def ours(home, extra_cwd=None):
    """(pid, name, uid) of live processes whose executable is in home/bin or whose cwd is
    under extra_cwd (daemontools and multilog work there)."""
    out = []
    for p in glob.glob("/proc/[0-9]*"):
        try:
            exe = os.readlink(p + "/exe")
            cwd = os.readlink(p + "/cwd")
            st = open(p + "/status").read()
        except OSError:
            continue
        if exe.startswith(os.path.join(home, "bin") + "/") or (extra_cwd and (cwd + "/").startswith(extra_cwd + "/")):
            uid = int(re.search(r"^Uid:\s+(\d+)", st, re.M).group(1))
            out.append((int(p[6:]), os.path.basename(exe), uid))
    return out


def ports_free(*ports):
    for p in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True


def pop3_fetch(port, user, password, want, tls=False):
    """Wait for a message containing want; its bytes, or None."""
    def look():
        p = poplib.POP3("127.0.0.1", port, timeout=20)
        if tls:
            p.stls(CTX)
        p.user(user)
        p.pass_(password)
        n = p.stat()[0]
        found = None
        for i in range(1, n + 1):
            m = b"\n".join(p.retr(i)[1])
            if want in m:
                found = m
        p.quit()
        return found
    return wait_for(look, timeout=30)


# --- (1) the README's first command ---------------------------------------------------------
if not ports_free(2525, 2587, 2110):
    tap.ok(True, "# skip the instance: ports 2525, 2587 or 2110 are in use")
else:
    p = subprocess.run(["sh", "tools/instance"], cwd=copy, capture_output=True, text=True, timeout=900)
    tap.is_(p.returncode, 0, "sh tools/instance builds and starts the instance", p.stdout[-1500:] + p.stderr[-1500:])
    tap.ok("swaks --server 127.0.0.1:2525" in p.stdout and "poplib" in p.stdout and "tools/instance stop" in p.stdout,
           "it says how to send, read back and stop", p.stdout[-1500:])
    if p.returncode == 0:
        s = smtplib.SMTP("127.0.0.1", 2525, timeout=20)
        tap.is_(s.sendmail("me@example.org", ["demo@localhost"], b"Subject: one\r\n\r\nplain SMTP to the instance\r\n"), {}, "smtplib to port 2525")
        s.quit()
        s = smtplib.SMTP("127.0.0.1", 2525, timeout=20)
        s.starttls(context=CTX)
        tap.is_(s.sendmail("me@example.org", ["demo@localhost"], b"Subject: two\r\n\r\nover STARTTLS\r\n"), {}, "smtplib with STARTTLS")
        s.quit()
        s = smtplib.SMTP("127.0.0.1", 2587, timeout=20)
        s.starttls(context=CTX)
        s.login("demo", "demo")
        tap.is_(s.sendmail("demo@localhost", ["demo@localhost"], b"Subject: three\r\n\r\nthrough submission\r\n"), {}, "submission with AUTH")
        s.quit()
        m = pop3_fetch(2110, "demo", "demo", b"plain SMTP to the instance")
        tap.ok(m and m.endswith(b"\nSubject: one\n\nplain SMTP to the instance"), "poplib reads the first message back", m)
        tap.ok(pop3_fetch(2110, "demo", "demo", b"over STARTTLS", tls=True), "the second, over STLS")
        tap.ok(pop3_fetch(2110, "demo", "demo", b"through submission"), "the third")
        tap.ok(pop3_fetch(2110, "demo", "demo", b"Welcome to your instance"), "and the welcome message")
    p = subprocess.run(["sh", "tools/instance", "stop"], cwd=copy, capture_output=True, text=True, timeout=120)
    tap.is_(p.returncode, 0, "sh tools/instance stop", p.stderr)
    left = wait_for(lambda: not ours(run, os.path.join(run, "service")), timeout=15)
    tap.ok(left, "no process of the instance is left", ours(run, os.path.join(run, "service")))

# --- (2) a real install as root ---------------------------------------------------------------
if not ROOT:
    tap.ok(True, "# skip the root install: not root")
    tap.done()

home = os.path.join(copy, "home")
def sh(cmd, **kw):
    return subprocess.run(cmd, cwd=copy, shell=True, capture_output=True, text=True, timeout=900, **kw)
p = sh("./configure --home=%s >/dev/null && make -s -j2 && make -s install" % home)
tap.is_(p.returncode, 0, "configure --home, make install", p.stderr[-2000:])
p = sh("sh tools/mkusers %s && sh tools/mkqueue %s && chown qmailq %s/bin/qmail-queue && chmod 4711 %s/bin/qmail-queue"
       % (home, home, home, home))
tap.is_(p.returncode, 0, "tools/mkusers, tools/mkqueue, setuid qmail-queue", p.stdout + p.stderr)
user = "qmtestd"
if subprocess.run(["id", user], capture_output=True).returncode:
    subprocess.run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", user], check=True)
pw = pwd.getpwnam(user)
uhome = os.path.join(copy, "mailbox")
os.makedirs(os.path.join(uhome, "Maildir"))
for d in ("tmp", "new", "cur"):
    os.mkdir(os.path.join(uhome, "Maildir", d))
for root, dirs, fs in os.walk(uhome):
    os.chown(root, pw.pw_uid, pw.pw_gid)
os.chmod(os.path.join(uhome, "Maildir"), 0o700)
ctl = os.path.join(home, "control")
for name, text in (("me", "mx.test\n"), ("locals", "mx.test\nlocalhost\n"), ("rcpthosts", "mx.test\nlocalhost\n"),
                   ("smtproutes", ":[127.0.0.1]:1\n")):
    with open(os.path.join(ctl, name), "w") as f:
        f.write(text)
os.makedirs(os.path.join(home, "users"), exist_ok=True)
with open(os.path.join(home, "users", "assign"), "w") as f:
    f.write("=box:%s:%d:%d:%s:::\n.\n" % (user, pw.pw_uid, pw.pw_gid, uhome))
with open(os.path.join(home, "users", "pop3passwd"), "w") as f:
    f.write("box:{plain}s3cret:%d:%d:%s\n" % (pw.pw_uid, pw.pw_gid, uhome))
p = sh("cd %s && bin/qmail-newu && bin/qmail-newpop3" % home)
tap.is_(p.returncode, 0, "users/cdb and users/pop3passwd.cdb", p.stderr)
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mx.test",
                "-keyout", os.path.join(ctl, "serverkey.pem"), "-out", os.path.join(ctl, "servercert.pem")],
               check=True, capture_output=True)
os.chmod(os.path.join(ctl, "serverkey.pem"), 0o600)
svdir = os.path.join(home, "service")
ports = {}
for s in ("smtpd", "submission", "pop3d"):
    ports[s] = free_port()
    for k, v in (("IP", "127.0.0.1"), ("PORT", str(ports[s]))):
        with open(os.path.join(svdir, s, "env", k), "w") as f:
            f.write(v + "\n")
setuid = sorted(os.path.basename(f) for f in glob.glob(os.path.join(home, "bin", "*")) if os.stat(f).st_mode & 0o6000)
tap.is_(setuid, ["qmail-queue"], "qmail-queue is the only setuid or setgid file")
scan = subprocess.Popen(["svscan", svdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=svdir)
up = wait_for(lambda: all(b": up" in subprocess.run(["svstat", os.path.join(svdir, s)], capture_output=True).stdout
                          for s in ("send", "smtpd", "submission", "pop3d")) and not ports_free(*ports.values()), timeout=30)
tap.ok(up, "svscan starts the four services", [subprocess.run(["svstat", os.path.join(svdir, s)], capture_output=True).stdout for s in ("send", "smtpd", "submission", "pop3d")])

s = smtplib.SMTP("127.0.0.1", ports["smtpd"], timeout=20)
s.starttls(context=CTX)
tap.is_(s.sendmail("me@example.org", ["box@mx.test"], b"Subject: root\r\n\r\ndelivered with real uids\r\n"), {}, "SMTP with STARTTLS into the real install")
s.quit()
got = wait_for(lambda: glob.glob(os.path.join(uhome, "Maildir", "new", "*")), timeout=30)
tap.ok(got and os.stat(got[0]).st_uid == pw.pw_uid, "delivered into the user's Maildir, as the user")
# hold sessions open while the uids are read
smtp = smtplib.SMTP("127.0.0.1", ports["smtpd"], timeout=20)
smtp.starttls(context=CTX)
smtp.ehlo("uidcheck")
sub = smtplib.SMTP("127.0.0.1", ports["submission"], timeout=20)
sub.ehlo("uidcheck")
pop = poplib.POP3("127.0.0.1", ports["pop3d"], timeout=20)
pop.stls(CTX)
pop.user("box")
pop.pass_("s3cret")
tap.is_(pop.stat()[0], 1, "POP3 over STLS as the mailbox owner")
procs = ours(home)
uid = lambda name: pwd.getpwnam(name).pw_uid
want = {"qmail-send": uid("qmails"), "qmail-todo": uid("qmails"), "qmail-clean": uid("qmailq"),
        "qmail-lspawn": 0, "qmail-rspawn": uid("qmailr"), "qmail-smtpd": uid("qmaild"),
        "qmail-tls": uid("qmaild"), "qmail-pop3d": pw.pw_uid, "qmail-popup": 0}
seen = {}
for pid, name, u in procs:
    seen.setdefault(name, set()).add(u)
for name in ("qmail-send", "qmail-todo", "qmail-clean", "qmail-lspawn", "qmail-rspawn", "qmail-smtpd", "qmail-tls", "qmail-pop3d"):
    tap.is_(seen.get(name), {want[name]}, "%s runs as uid %d" % (name, want[name]), procs)
root_ok = {"qmail-lspawn", "qmail-start", "qmail-popup", "qmail-checkpw"}
tap.is_(sorted(n for n, us in seen.items() if 0 in us and n not in root_ok), [],
        "nothing else of ours runs as root", procs)
logs = [(pid, u) for pid, name, u in ours(home, svdir) if name == "multilog"]
tap.ok(logs and all(u == uid("qmaill") for pid, u in logs), "the loggers run as qmaill", logs)
pop.quit()
smtp.quit()
sub.quit()
# svscan first, or it would start a new supervise for each one that exits
scan.terminate()
scan.wait(timeout=10)
for s in ("send", "smtpd", "submission", "pop3d"):
    subprocess.run(["svc", "-dx", os.path.join(svdir, s), os.path.join(svdir, s, "log")], capture_output=True)
tap.ok(wait_for(lambda: not ours(home, svdir), timeout=30), "svc -dx stops every service", ours(home, svdir))
tap.done()
