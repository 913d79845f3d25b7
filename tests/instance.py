"""instance.py: a real single-user instance for end-to-end tests (stdlib only).
It copies the built programs into HOME/bin, makes the queue (tools/mkqueue), control files,
users/assign (compiled by the real qmail-newu) and a demo user's Maildir, and starts
qmail-start. Remote mail goes to 127.0.0.1 port 1 (closed: deferred) unless the test gives
control/smtproutes. Everything runs as an ordinary user: the current one, or qmtestu when the tests
run as root (through setpriv), so root's uid separation is not needed here."""
import atexit, glob, os, pwd, shutil, signal, subprocess, tempfile, time
import tap, qlocal
from procs import programs

COMPONENTS = ("maildir", "qmail-send", "qmail-smtpd", "qmail-local", "qmail-remote", "qmail-pop3d", "control", "tls")


class Instance:
    def __init__(self, locals_=("localhost", "localhost.localdomain"), control=None):
        self.pw = qlocal.account()
        if qlocal.ROOT:
            tempfile.tempdir = "/tmp"
        self.home = tap.scratch()
        os.chmod(self.home, 0o755)
        self.bin = os.path.join(self.home, "bin")
        os.mkdir(self.bin)
        for d in COMPONENTS:
            for p in glob.glob(os.path.join(tap.TOP, d, "*")):
                if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p):
                    shutil.copy(p, self.bin)
        subprocess.run([os.path.join(tap.TOP, "tools", "mkqueue"), self.home], check=True)
        os.mkdir(os.path.join(self.home, "control"))
        self.put("control/me", "localhost\n")
        # qmail-inject completes a dotless host: user@localhost becomes user@localhost.localdomain
        self.put("control/defaultdomain", "localdomain\n")
        self.put("control/locals", "".join(l + "\n" for l in locals_))
        # remote mail (bounces to outside senders, forwards) must not leave loopback: a test
        # that wants remote delivery gives its own smtproutes
        self.put("control/smtproutes", ":127.0.0.1:1\n")
        for k, v in (control or {}).items():
            self.put("control/" + k, v)
        self.users = os.path.join(self.home, "users")
        os.mkdir(self.users)
        self.demo = os.path.join(self.users, "demo")
        os.mkdir(self.demo)
        for d in ("", "tmp", "new", "cur"):
            os.mkdir(os.path.join(self.demo, "Maildir", d), 0o700)
        u, g = self.pw.pw_uid, self.pw.pw_gid
        self.put("users/assign", "=demo:%s:%d:%d:%s:::\n+demo-:%s:%d:%d:%s:-::\n.\n"
                 % (self.pw.pw_name, u, g, self.demo, self.pw.pw_name, u, g, self.demo))
        self.give()
        p = self.run(["qmail-newu"])
        assert p.returncode == 0, p.stderr
        self.log = os.path.join(self.home, "log")
        self.proc = None
        atexit.register(self.stop)

    def put(self, rel, text, mode=0o644):
        path = os.path.join(self.home, rel)
        with open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
        os.chmod(path, mode)
        if qlocal.ROOT:
            os.chown(path, self.pw.pw_uid, self.pw.pw_gid)
        return path

    def give(self):
        """Hand the whole instance to its user."""
        if not qlocal.ROOT:
            return
        for root, dirs, files in os.walk(self.home):
            for x in [root] + [os.path.join(root, y) for y in files]:
                os.lchown(x, self.pw.pw_uid, self.pw.pw_gid)

    def argv(self, argv):
        prog = argv[0] if "/" in argv[0] else os.path.join(self.bin, argv[0])
        argv = [prog] + list(argv[1:])
        if qlocal.ROOT:
            return ["setpriv", "--reuid=%d" % self.pw.pw_uid, "--regid=%d" % self.pw.pw_gid, "--clear-groups", "--"] + argv
        return argv

    def env(self, extra=None):
        e = dict(os.environ, QMAILHOME=self.home, HOME=self.home)
        e.pop("QMAILQUEUE", None)
        e.update(extra or {})
        return e

    def run(self, argv, stdin=b"", env=None, stdout=None):
        return subprocess.run(self.argv(argv), input=stdin, capture_output=stdout is None, stdout=stdout,
                              env=self.env(env), cwd=self.home, timeout=60)

    def start(self, defaultdelivery="./Maildir/", faketime=None):
        """faketime: run the whole system with libfaketime's clock offset, e.g. "+8d". The
        library is preloaded after setpriv, so that no root process ever loads it."""
        logf = open(self.log, "ab")
        argv = [os.path.join(self.bin, "qmail-start"), defaultdelivery]
        if faketime:
            argv = ["/usr/bin/env", "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                    "FAKETIME=" + faketime, "FAKETIME_DONT_FAKE_MONOTONIC=1"] + argv
        self.proc = subprocess.Popen(self.argv(argv), stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=subprocess.STDOUT, env=self.env(), cwd=self.home)
        logf.close()

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM to qmail-send (qmail-start became it); the others exit when their input ends."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("# qmail-send did not stop within 30 s:\n# " + self.procstate().replace("\n", "\n# "))
                self.proc.kill()
                self.proc.wait()
        code, self.proc = self.proc.returncode, None
        # no program of this instance may outlive it
        deadline = time.time() + 10
        while time.time() < deadline and self.ours():
            time.sleep(0.05)
        return code

    def procstate(self):
        """One line per process of the instance: name, state, blocked signals, kernel wait."""
        out = []
        for pid in self.ours():
            try:
                st = dict(l.split(":", 1) for l in open("/proc/%d/status" % pid).read().splitlines() if ":" in l)
                out.append("%d %s %s blocked=%s wchan=%s" % (pid, st["Name"].strip(), st["State"].strip(),
                           st["SigBlk"].strip(), open("/proc/%d/wchan" % pid).read()))
            except OSError:
                pass
        return "\n".join(out)

    def ours(self):
        """Pids of processes whose executable lives in this instance's bin/."""
        return sorted(programs(self.bin))

    def queue(self, message, sender, rcpts):
        env = b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"
        ef = os.path.join(self.home, "envelope.tmp")
        with open(ef, "wb") as f:
            f.write(env)
        with open(ef, "rb") as f:
            p = subprocess.run(self.argv(["qmail-queue"]), input=message, stdout=f, stderr=subprocess.PIPE,
                               env=self.env(), cwd=self.home, timeout=60)
        return p.returncode

    def logtext(self):
        try:
            return open(self.log, "rb").read().decode(errors="replace")
        except OSError:
            return ""

    def maildir_new(self, who="demo"):
        return sorted(glob.glob(os.path.join(self.users, who, "Maildir", "new", "*")))

    def queued(self):
        return [p for sub in ("todo", "mess") for p in glob.glob(os.path.join(self.home, "queue", sub, "*", "*"))]


def wait_for(cond, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    return cond()
