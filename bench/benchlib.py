"""benchlib.py: shared by the benchmarks in bench/ (Python 3 stdlib only, Linux).

- CpuMeter: the CPU time (user + system) of every process of one system under test, read from
  a cgroup made for it (cgroup v1 cpuacct, else cgroup v2), or, without root, summed from
  /proc/PID/stat over the process tree of the system's daemon (fallback, 10 ms ticks).
- Ours: a fresh single-user instance of our system in a temp dir (modelled on
  tests/instance.py, but with its own user and without the test harness).
- Postfix: a private Postfix instance (own config, queue and data directories, no listener
  unless listen_smtp() adds one) that leaves the system's /etc/postfix alone.
- Ours.start_smtpd / Postfix.listen_smtp: an SMTP server on a free loopback port (ours:
  qmail-smtpd under tcpserver; Postfix: an smtpd inet service), for bench/smtp-in.
- Injection: N messages from S parallel worker processes, each message by posix_spawn of
  the injector (qmail-inject, qmail-queue or Postfix's sendmail). The workers run in the
  system's cgroup (so that every injector does too) and report their own CPU, which the
  caller subtracts: the measured CPU is that of the mail system alone.
- MaildirWatch: counts the files arriving in a Maildir's new/ with inotify (listing a
  directory of 2,000 names costs about 1 ms of CPU, too much to poll often).
Every wait is bounded; every process started is stopped; temp dirs are removed."""
import atexit, ctypes, glob, json, os, pwd, resource, select, shutil, signal, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from procs import programs  # noqa: E402  (no side effects)

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.geteuid() == 0
TICK = os.sysconf("SC_CLK_TCK")
COMPONENTS = ("maildir", "qmail-send", "qmail-smtpd", "qmail-local", "qmail-remote", "qmail-pop3d", "control", "tls")


_WORKDIR = []


def workdir():
    """The directory every instance of this benchmark run lives in: a new directory at the top
    of the filesystem that holds /tmp, removed at exit if empty. On ext4 without a journal (as on these
    machines), every file creation scans past the inodes of its block group that were freed in
    the last minutes (up to 6), at about 0.5 us each: after a test suite or an earlier benchmark
    removed thousands of files in /tmp's group, that costs either system up to 1 ms per file
    created. The filesystem puts a new top-level directory in a little-used group; the
    directories below it stay in that group, so both systems of a run share the same conditions.
    With a journal, ext4 does not do that scan at all."""
    if not _WORKDIR:
        top = "/tmp"
        while os.path.dirname(top) != top and os.stat(os.path.dirname(top)).st_dev == os.stat(top).st_dev:
            top = os.path.dirname(top)
        try:
            d = tempfile.mkdtemp(prefix="qmbench.", dir=top)
        except OSError:
            d = tempfile.mkdtemp(prefix="qmbench.", dir="/tmp")
        os.chmod(d, 0o755)
        _WORKDIR.append(d)
        atexit.register(lambda: os.path.isdir(d) and not os.listdir(d) and os.rmdir(d))  # not if --keep kept something
    return _WORKDIR[0]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def subreaper():
    """Orphans of our children (Postfix's master daemonizes) become our children, so that we
    reap them instead of leaving zombies to pid 1."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


PROTECTED = set()  # children whose status someone else waits for (workers, qmail-start)


def reap():
    """Reap zombie children (orphans adopted as subreaper), except the protected ones."""
    me = os.getpid()
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) in PROTECTED:
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if st[0] == "Z" and int(st[1]) == me:
            try:
                os.waitpid(int(p), os.WNOHANG)
            except ChildProcessError:
                pass


def ensure_user(name, home=None):
    """Create the system user NAME if missing (idempotent); set its home when given."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        argv = ["useradd", "-r", "-M", "-U", "-s", "/usr/sbin/nologin"] + (["-d", home] if home else []) + [name]
        subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        pw = pwd.getpwnam(name)
    if home and pw.pw_dir != home:
        subprocess.run(["usermod", "-d", home, name], check=True, stdout=subprocess.DEVNULL, timeout=30)
        pw = pwd.getpwnam(name)
    return pw


def chown_tree(path, uid, gid):
    for root, dirs, files in os.walk(path):
        for x in [root] + [os.path.join(root, y) for y in files]:
            os.lchown(x, uid, gid)


def rmtree(path):
    if path and os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)


def wait_for(cond, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def machine_busy():
    """Busy CPU seconds of the whole machine (all processes and kernel threads) since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / TICK


def descendants(pid):
    parent = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    parent[int(p)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    out, want = [], {pid}
    grew = True
    while grew:
        grew = False
        for p, pp in parent.items():
            if pp in want and p not in want:
                want.add(p)
                out.append(p)
                grew = True
    return out


def proc_tree_cpu(root_pids):
    """utime+stime+cutime+cstime (seconds) of the given processes and all their descendants.
    Children that exited were waited for by their parents (both systems reap), so their time
    is in the parents' cutime/cstime."""
    parent, times = {}, {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                f_ = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(p)] = int(f_[1])
        times[int(p)] = sum(int(x) for x in f_[11:15])
    want = set(root_pids)
    grew = True
    while grew:
        grew = False
        for pid, pp in parent.items():
            if pp in want and pid not in want:
                want.add(pid)
                grew = True
    return sum(times.get(p, 0) for p in want) / TICK


class CpuMeter:
    """CPU seconds used by the processes put into it. method: cgroup-v1, cgroup-v2 or proc."""

    def __init__(self, name):
        self.dir = None
        self.method = "proc"
        self.roots = []
        if not ROOT:
            return
        tag = "qmbench.%d.%s" % (os.getpid(), name)
        for base, usage, method in (("/sys/fs/cgroup/cpuacct", "cpuacct.usage", "cgroup-v1"),
                                    ("/sys/fs/cgroup/cpu,cpuacct", "cpuacct.usage", "cgroup-v1"),
                                    ("/sys/fs/cgroup/unified", "cpu.stat", "cgroup-v2"),
                                    ("/sys/fs/cgroup", "cpu.stat", "cgroup-v2")):
            if not os.path.exists(os.path.join(base, usage if method == "cgroup-v1" else "cgroup.procs")):
                continue
            d = os.path.join(base, tag)
            try:
                os.mkdir(d)
            except OSError:
                continue
            if os.path.exists(os.path.join(d, usage)):
                self.dir, self.usagefile, self.method = d, os.path.join(d, usage), method
                self.procs = os.path.join(d, "cgroup.procs")
                return
            os.rmdir(d)

    def adopt(self, pid):
        """Move a running process and its descendants into the cgroup (the process first, so
        that what it forks from then on is born inside)."""
        if not self.dir:
            return
        done = set()
        for _ in range(5):
            tree = [pid] + descendants(pid)
            new = [p for p in tree if p not in done]
            if not new:
                return
            for p in new:
                try:
                    with open(self.procs, "w") as f:
                        f.write(str(p))
                except OSError:
                    pass  # it exited
                done.add(p)

    def join(self):
        """Move the calling process into the cgroup (in a child between fork and exec)."""
        if self.dir:
            fd = os.open(self.procs, os.O_WRONLY)
            try:
                os.write(fd, b"%d" % os.getpid())
            finally:
                os.close(fd)

    def seconds(self):
        if self.method == "cgroup-v1":
            with open(self.usagefile) as f:
                return int(f.read()) / 1e9
        if self.method == "cgroup-v2":
            with open(self.usagefile) as f:
                for line in f:
                    k, v = line.split()
                    if k == "usage_usec":
                        return int(v) / 1e6
        return proc_tree_cpu(self.roots)

    def pids(self):
        if not self.dir:
            return []
        try:
            with open(self.procs) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def close(self):
        """Kill what is left in the cgroup (by pid), then remove it."""
        if not self.dir:
            return
        left = self.pids()
        if left:
            log("# cleanup: %d process(es) still in %s: %s; killing them" % (len(left), self.dir, left))
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            wait_for(lambda: (reap(), not self.pids())[1], 10)
        for _ in range(50):
            try:
                os.rmdir(self.dir)
                break
            except OSError:
                reap()
                time.sleep(0.1)
        self.dir = None


def count_files(d):
    try:
        return len(os.listdir(d))
    except OSError:
        return 0


def count_tree(d):
    n = 0
    for _, _, files in os.walk(d):
        n += len(files)
    return n


def free_port(host="127.0.0.1"):
    """A TCP port free on host right now (the kernel's choice; the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def smtp_ready(port, timeout=10, host="127.0.0.1"):
    """True once a connection to host:port gets a 220 greeting (bounded by timeout)."""
    def greets():
        try:
            with socket.create_connection((host, port), timeout=5) as c:
                return c.recv(512).startswith(b"220")
        except OSError:
            return False
    return wait_for(greets, timeout, 0.05)


IN_CREATE, IN_MOVED_TO, IN_Q_OVERFLOW = 0x100, 0x80, 0x4000


class MaildirWatch:
    """Counts names created in (link, open O_CREAT) or moved into (rename) a directory, with
    inotify through libc; falls back to listing the directory (every poll seconds) if inotify
    is unavailable or its queue overflowed."""

    def __init__(self, d, poll=0.2):
        self.dir, self.poll, self.fd, self.count = d, poll, -1, count_files(d)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd >= 0:
                if libc.inotify_add_watch(fd, d.encode(), IN_CREATE | IN_MOVED_TO) >= 0:
                    self.fd = fd
                    self.count = count_files(d)  # after the watch: nothing is missed
                else:
                    os.close(fd)
        except (OSError, AttributeError):
            pass
        self.method = "inotify" if self.fd >= 0 else "listdir"

    def wait(self, timeout):
        """Wait at most timeout seconds for news; return the current count."""
        if self.fd < 0:
            time.sleep(min(timeout, self.poll))
            self.count = count_files(self.dir)
            return self.count
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            try:
                buf = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                buf = b""
            i = 0
            while i + 16 <= len(buf):
                wd, mask, cookie, ln = struct.unpack_from("iIII", buf, i)
                if mask & IN_Q_OVERFLOW:
                    log("# inotify queue overflowed: counting by listing the directory")
                    self.close()
                    self.count = count_files(self.dir)
                    return self.count
                if mask & (IN_CREATE | IN_MOVED_TO):
                    self.count += 1
                i += 16 + ln
        return self.count

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Ours:
    """A fresh single-user instance in workdir()/ours.*: bin/ with copies of the built
    programs, queue/ by tools/mkqueue, control/, users/assign by qmail-newu, the user "bench"
    with a Maildir. As root every program runs as the system user qmbench; otherwise as the
    caller."""
    name = "ours"
    rcpt = "bench@localhost"

    def __init__(self, meter):
        self.meter = meter
        self.proc = None
        self.smtpd = None
        self.pw = ensure_user("qmbench") if ROOT else pwd.getpwuid(os.getuid())
        self.home = tempfile.mkdtemp(prefix="ours.", dir=workdir())
        os.chmod(self.home, 0o755)
        self.bin = os.path.join(self.home, "bin")
        os.mkdir(self.bin)
        for d in COMPONENTS:
            for p in glob.glob(os.path.join(TOP, d, "*")):
                if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p):
                    shutil.copy(p, self.bin)
        if not os.path.exists(os.path.join(self.bin, "qmail-send")):
            raise SystemExit("bench: no built programs in %s: run ./configure && make first" % TOP)
        subprocess.run(["sh", os.path.join(TOP, "tools", "mkqueue"), self.home], check=True, timeout=60)
        os.mkdir(os.path.join(self.home, "control"))
        # qmail-inject completes the dotless "localhost" with defaultdomain: both are local
        self.put("control/me", "localhost\n")
        self.put("control/defaultdomain", "localdomain\n")
        self.put("control/locals", "localhost\nlocalhost.localdomain\n")
        self.user = os.path.join(self.home, "users", "bench")
        for d in ("", "tmp", "new", "cur"):
            os.makedirs(os.path.join(self.user, "Maildir", d), 0o700)
        u, g, n = self.pw.pw_uid, self.pw.pw_gid, self.pw.pw_name
        self.put("users/assign", "=bench:%s:%d:%d:%s:::\n+bench-:%s:%d:%d:%s:-::\n.\n" % (n, u, g, self.user, n, u, g, self.user))
        os.mkdir(os.path.join(self.home, "log"))
        if ROOT:
            chown_tree(self.home, u, g)
        p = subprocess.run([os.path.join(self.bin, "qmail-newu")], cwd=self.home, env=self.env(),
                           preexec_fn=self.become, capture_output=True, timeout=60)
        if p.returncode:
            raise SystemExit("bench: qmail-newu failed: %r" % p.stderr)
        self.new = os.path.join(self.user, "Maildir", "new")
        self.logfile = os.path.join(self.home, "log", "send.log")

    def put(self, rel, text):
        path = os.path.join(self.home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def become(self):
        if ROOT:
            os.setgroups([])
            os.setgid(self.pw.pw_gid)
            os.setuid(self.pw.pw_uid)

    def env(self):
        return {"PATH": self.bin + ":/usr/bin:/bin", "QMAILHOME": self.home, "HOME": self.home}

    def start(self, settle=0):
        def pre():
            self.meter.join()
            self.become()
        logf = open(self.logfile, "ab")
        self.proc = subprocess.Popen([os.path.join(self.bin, "qmail-start"), "./Maildir/"], cwd=self.home, env=self.env(),
                                     stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, preexec_fn=pre)
        logf.close()
        self.meter.roots = [self.proc.pid]
        PROTECTED.add(self.proc.pid)
        # qmail-send is up when its helpers are: qmail-lspawn, qmail-todo, two qmail-clean
        ok = wait_for(lambda: len(self.ours()) >= 5, 10)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError("qmail-start did not come up: " + self.logtext()[-2000:])
        time.sleep(settle)

    def ours(self):
        return sorted(programs(self.bin))

    def start_smtpd(self, port):
        """tcpserver on 127.0.0.1:port running bin/qmail-smtpd for each connection, as the
        instance's user, inside the meter's cgroup (so every qmail-smtpd and the qmail-queue it
        starts is counted). -R -H -l: no ident, no reverse DNS, no local name lookup; -c 40: up
        to 40 sessions at once. qmail-smtpd logs one line per message to log/smtpd.log."""
        def pre():
            self.meter.join()
            self.become()
        logf = open(os.path.join(self.home, "log", "smtpd.log"), "ab")
        self.smtpd = subprocess.Popen(["/usr/bin/tcpserver", "-R", "-H", "-l", "localhost", "-c", "40",
                                       "127.0.0.1", str(port), os.path.join(self.bin, "qmail-smtpd")],
                                      cwd=self.home, env=self.env(), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=logf, preexec_fn=pre)
        logf.close()
        PROTECTED.add(self.smtpd.pid)
        self.meter.roots = [self.smtpd.pid]
        if not smtp_ready(port) or self.smtpd.poll() is not None:
            raise RuntimeError("tcpserver/qmail-smtpd did not answer on port %d: %s" % (port, self.smtpdlog()[-2000:]))

    def smtpd_sessions(self):
        """The qmail-smtpd (and qmail-queue) processes still running under tcpserver."""
        return descendants(self.smtpd.pid) if self.smtpd and self.smtpd.poll() is None else []

    def smtpdlog(self):
        try:
            with open(os.path.join(self.home, "log", "smtpd.log"), "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop_smtpd(self):
        """SIGTERM to tcpserver (it stops accepting; sessions in progress finish alone)."""
        if self.smtpd and self.smtpd.poll() is None:
            self.smtpd.terminate()
            try:
                self.smtpd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.smtpd.kill()
                self.smtpd.wait(timeout=10)
        self.smtpd = None

    def stop(self):
        """SIGTERM to tcpserver and to qmail-send; qmail-send's helpers exit when their input ends."""
        self.stop_smtpd()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                log("# qmail-send did not stop within 30 s; killing it")
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if not wait_for(lambda: (reap(), not self.ours())[1], 10):
            for p in self.ours():
                log("# cleanup: killing leftover %d" % p)
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass

    def logtext(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def queued(self):
        q = os.path.join(self.home, "queue")
        return sum(count_tree(os.path.join(q, d)) for d in ("pid", "todo", "mess"))

    def queue_counts(self):
        """{dir: files} for the queue's pid/ (being written), todo/ (complete, not yet seen by
        qmail-send) and mess/ (classified)."""
        q = os.path.join(self.home, "queue")
        return dict((d, count_tree(os.path.join(q, d))) for d in ("pid", "todo", "mess"))

    def injector(self, mode, message, envelope):
        """(argv, env, stdin file, stdout file or None, become)"""
        if mode == "inject":
            argv = [os.path.join(self.bin, "qmail-inject"), "-f", "sender@localhost", self.rcpt]
            return argv, self.env(), message, None
        argv = [os.path.join(self.bin, "qmail-queue")]
        return argv, self.env(), message, envelope

    def envelope(self):
        return b"Fsender@localhost\0T" + self.rcpt.encode() + b"\0\0"

    def close(self):
        self.stop()
        rmtree(self.home)


MASTER_CF = "/etc/postfix/master.cf"
MASTER_CF_DIST = "/usr/share/postfix/master.cf.dist"


class Postfix:
    """A private Postfix instance in workdir()/postfix.*: conf/ (main.cf written here,
    master.cf = Debian's without the smtp listener and without chroot), queue/, data/, and the
    user pfbench (created if missing; its home is moved to home/ here) with a Maildir. The
    system's /etc/postfix is only read."""
    name = "postfix"
    rcpt = "pfbench@localhost"

    def __init__(self, meter):
        if not ROOT:
            raise SystemExit("bench: the Postfix side needs root (postfix start, a private user)")
        if not os.path.exists("/usr/sbin/postfix"):
            raise SystemExit("bench: Postfix is not installed; see bench/README.md")
        self.meter = meter
        self.started = False
        self.top = tempfile.mkdtemp(prefix="postfix.", dir=workdir())
        os.chmod(self.top, 0o755)
        self.conf = os.path.join(self.top, "conf")
        self.queue = os.path.join(self.top, "queue")
        self.data = os.path.join(self.top, "data")
        home = os.path.join(self.top, "home")
        os.mkdir(self.conf, 0o755)
        os.mkdir(self.queue, 0o755)
        os.mkdir(home, 0o700)
        self.pw = ensure_user("pfbench", home)
        for d in ("Maildir", "Maildir/tmp", "Maildir/new", "Maildir/cur"):
            os.mkdir(os.path.join(home, d), 0o700)
        chown_tree(home, self.pw.pw_uid, self.pw.pw_gid)
        self.new = os.path.join(home, "Maildir", "new")
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("""# private benchmark instance (bench/benchlib.py)
compatibility_level = 3.6
queue_directory = {q}
data_directory = {d}
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.localdomain
mydomain = localdomain
myorigin = $myhostname
mydestination = localhost, $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
home_mailbox = Maildir/
alias_maps = hash:{c}/aliases
alias_database = hash:{c}/aliases
biff = no
append_dot_mydomain = no
readme_directory = no
mailbox_size_limit = 0
recipient_delimiter = +
""".format(q=self.queue, d=self.data, c=self.conf))
        src = MASTER_CF if os.path.exists(MASTER_CF) else MASTER_CF_DIST
        out = []
        with open(src) as f:
            for line in f:
                w = line.split()
                if line[:1].isalpha() and len(w) >= 8:
                    if w[1] == "inet":
                        continue  # no smtpd listener
                    w[4] = "n"  # no chroot (it would need copies of /etc files; no per-message cost)
                    line = " ".join(w) + "\n"
                out.append(line)
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.writelines(out)
        with open(os.path.join(self.conf, "aliases"), "w") as f:
            f.write("postmaster: root\n")
        self.run(["postalias", "-c", self.conf, os.path.join(self.conf, "aliases")])
        self.run(["postfix", "-c", self.conf, "check"])  # makes the queue directories

    def listen_smtp(self, port, deliver=True):
        """Before start(): an smtpd service on 127.0.0.1:port (master.cf: unprivileged, no
        chroot, default process limit). The recipient, a local user, is accepted by Postfix's
        defaults: localhost is in mydestination, local_recipient_maps finds pfbench in passwd,
        and 127.0.0.0/8 is in mynetworks. smtpd_peername_lookup = no matches tcpserver -H (no
        reverse DNS). deliver=False: the queue manager is disabled (master_service_disable =
        qmgr.unix, Debian's type, and qmgr.fifo, the older one), so accepted messages stay in
        incoming/, untouched, like ours in todo/ without qmail-send; and in_flow_delay = 0,
        since its flow control would otherwise make cleanup wait 1 s per message for tokens that
        only the queue manager gives back."""
        with open(os.path.join(self.conf, "master.cf"), "a") as f:
            f.write("127.0.0.1:%d inet n - n - - smtpd\n" % port)
        with open(os.path.join(self.conf, "main.cf"), "a") as f:
            f.write("smtpd_peername_lookup = no\n")
            if not deliver:
                f.write("master_service_disable = qmgr.fifo, qmgr.unix\nin_flow_delay = 0\n")
        self.smtp_port = port

    def queue_counts(self):
        """{dir: files} for the queue directories a message can be in."""
        return dict((d, count_tree(os.path.join(self.queue, d))) for d in ("maildrop", "incoming", "active", "deferred", "hold"))

    def postqueue_count(self):
        """Messages as postqueue -p reports them (through the showq service), or None."""
        p = subprocess.run(["postqueue", "-c", self.conf, "-p"], capture_output=True, text=True, timeout=60)
        last = p.stdout.strip().splitlines()[-1:] or [""]
        if "Mail queue is empty" in last[0]:
            return 0
        w = last[0].split()
        return int(w[4]) if len(w) >= 6 and w[0] == "--" and w[4].isdigit() else None

    def run(self, argv, pre=None):
        p = subprocess.run(argv, capture_output=True, timeout=120, preexec_fn=pre)
        if p.returncode:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), p.returncode, (p.stdout + p.stderr).decode(errors="replace")))

    def master_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def start(self, settle=0.5):
        """postfix start, outside the cgroup (postfix-script runs a dozen programs first);
        the master and what it started so far are moved in at once, the rest is born inside."""
        self.started = True
        self.run(["postfix", "-c", self.conf, "start"])
        wait_for(lambda: self.master_pid() and pid_alive(self.master_pid()), 10)
        pid = self.master_pid()
        if not pid:
            raise RuntimeError("postfix master did not start")
        self.meter.adopt(pid)
        self.meter.roots = [pid]
        time.sleep(settle)

    def stop(self):
        if not self.started:
            return
        self.started = False
        pid = self.master_pid()
        subprocess.run(["postfix", "-c", self.conf, "stop"], capture_output=True, timeout=60)
        if pid and not wait_for(lambda: (reap(), not pid_alive(pid))[1], 30):
            log("# postfix master %d did not stop; killing it" % pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        # master's children exit when it does; the cgroup (meter.close) catches stragglers
        wait_for(lambda: (reap(), not [p for p in self.meter.pids()])[1], 10)

    def logtext(self):
        return "(Postfix logs to syslog; none here)"

    def queued(self):
        return sum(count_tree(os.path.join(self.queue, d)) for d in ("maildrop", "incoming", "active", "deferred", "hold"))

    def injector(self, mode, message, envelope):
        argv = ["/usr/sbin/sendmail", "-C", self.conf, "-i", "-f", "sender@localhost", self.rcpt]
        return argv, {"PATH": "/usr/sbin:/usr/bin:/bin"}, message, None

    def become(self):
        pass  # sendmail -C with a private config is allowed to root only

    def close(self):
        self.stop()
        rmtree(self.top)


def make_message(path, size, tag, full_header):
    """A message of about SIZE bytes. full_header: Date and Message-ID included (for
    qmail-queue, which adds nothing but its Received line)."""
    head = "From: sender@localhost\nTo: bench@localhost\nSubject: benchmark message %s\n" % tag
    if full_header:
        head += "Date: %s\nMessage-ID: <%s.%d@localhost>\n" % (time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()), tag, os.getpid())
    head += "\n"
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstuvwxy\n"
    body = ""
    while len(head) + len(body) + len(line) <= size:
        body += line
    body += "x" * max(0, size - len(head) - len(body) - 1) + "\n"
    with open(path, "w") as f:
        f.write(head + body)


def worker(count, argv, env, stdin_path, stdout_path, become, meter, go_r, res_w, errlog=None):
    """In a forked process: join the system's cgroup, become the injecting user, wait for the
    start signal, then run the injector COUNT times in sequence with posix_spawn (a vfork: no
    page tables copied, unlike Python's fork). Reports failures and its own CPU since it
    joined the cgroup (to be subtracted: the loop is not part of the system) on res_w."""
    meter.join()
    if errlog:  # the injectors' complaints go to a file, not into the report
        fd = os.open(errlog, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    become()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    os.read(go_r, 1)
    acts = [(os.POSIX_SPAWN_OPEN, 0, stdin_path, os.O_RDONLY, 0)]
    if stdout_path:
        acts.append((os.POSIX_SPAWN_OPEN, 1, stdout_path, os.O_RDONLY, 0))
    else:
        acts.append((os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0))
    fails, first = 0, None
    for _ in range(count):
        try:
            pid = os.posix_spawn(argv[0], argv, env, file_actions=acts)
            _, st = os.waitpid(pid, 0)
        except OSError as e:
            st = "spawn: %s" % e
        if st:
            fails += 1
            first = first or st
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.write(res_w, json.dumps({"fails": fails, "status": first,
                                "self": (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime),
                                "children": ch.ru_utime + ch.ru_stime}).encode())
    os._exit(0)


class Injection:
    """S worker processes ready to inject N messages in total; go() starts them all at once."""

    def __init__(self, system, mode, n, streams, msgfile, envfile, meter=None, errlog=None):
        argv, env, stdin_path, stdout_path = system.injector(mode, msgfile, envfile)
        meter = meter or system.meter
        self.kids, self.exited = [], set()
        go_r, self.go_w = os.pipe()
        for i in range(streams):
            count = n // streams + (1 if i < n % streams else 0)
            res_r, res_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(res_r)
                os.close(self.go_w)
                try:
                    worker(count, argv, env, stdin_path, stdout_path, system.become, meter, go_r, res_w, errlog)
                finally:
                    os._exit(1)
            os.close(res_w)
            PROTECTED.add(pid)
            self.kids.append((pid, res_r))
        os.close(go_r)

    def go(self):
        os.close(self.go_w)

    def running(self):
        return [pid for pid, _ in self.kids if not self._done(pid)]

    def _done(self, pid):
        try:
            p, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return True
        if p:
            self.exited.add(pid)
        return pid in self.exited

    def finish(self, timeout):
        """Wait for every worker (bounded); return (failures, first bad status, workers' own CPU,
        injectors' CPU from RUSAGE_CHILDREN)."""
        deadline = time.monotonic() + timeout
        fails, status, selfcpu, childcpu = 0, None, 0.0, 0.0
        for pid, r in self.kids:
            while not self._done(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self._done(pid):
                log("# worker %d still running after the timeout; killing it" % pid)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                fails += 1
                continue
            data = b""
            while True:
                b = os.read(r, 65536)
                if not b:
                    break
                data += b
            os.close(r)
            if data:
                d = json.loads(data)
                fails += d["fails"]
                status = status or d["status"]
                selfcpu += d["self"]
                childcpu += d["children"]
            else:
                fails += 1
        return fails, status, selfcpu, childcpu


COUNT_EVENTS = (("ext4:ext4_allocate_inode", "files created"), ("ext4:ext4_sync_file_enter", "fsync+fdatasync"),
                ("sched:sched_process_exec", "programs started"), ("sched:sched_process_fork", "forks"),
                ("syscalls:sys_enter_rename", "rename"), ("syscalls:sys_enter_renameat", "renameat"),
                ("syscalls:sys_enter_renameat2", "renameat2"), ("syscalls:sys_enter_link", "link"),
                ("syscalls:sys_enter_linkat", "linkat"), ("syscalls:sys_enter_unlink", "unlink"),
                ("syscalls:sys_enter_unlinkat", "unlinkat"))


class Perf:
    """perf over the measured interval, machine-wide (so other processes on the machine count
    too): 'stat' counts kernel events (files created, fsyncs, programs started...);
    'record' samples which programs use the CPU."""

    def __init__(self, what, tmpdir):
        self.what, self.out, self.proc = what, os.path.join(tmpdir, "perf.%s" % what), None
        if what == "stat":
            avail = set()
            p = subprocess.run(["perf", "list", "tracepoint"], capture_output=True, text=True, timeout=60)
            for line in p.stdout.splitlines():
                w = line.split()
                if w:
                    avail.add(w[0])
            self.events = [e for e, _ in COUNT_EVENTS if e in avail]
            argv = ["perf", "stat", "-a", "-x", ",", "-o", self.out, "-e", ",".join(self.events)]
        else:
            # -g: call graphs, so that a kept perf.record (--keep) answers "which system call"
            argv = ["perf", "record", "-a", "-g", "-e", "cpu-clock", "-F", "499", "-q", "-o", self.out]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        PROTECTED.add(self.proc.pid)
        time.sleep(0.5)  # perf needs a moment to open its events

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def counts(self):
        """{event: count}"""
        out = {}
        try:
            with open(self.out) as f:
                for line in f:
                    w = line.strip().split(",")
                    if len(w) >= 3 and w[0].replace(".", "").isdigit():
                        out[w[2]] = float(w[0])
        except OSError:
            pass
        return out

    def comms(self, top=10):
        """[(CPU ms, program name)], largest first, idle left out. Samples come from the
        cpu-clock event at 499 Hz per CPU, so one sample stands for 1/499 s of a CPU."""
        p = subprocess.run(["perf", "report", "-i", self.out, "-n", "--sort", "comm", "--stdio", "-q", "-g", "none", "--no-children"],
                           capture_output=True, text=True, timeout=300)
        rows = []
        for line in p.stdout.splitlines():
            w = line.split()
            if len(w) >= 3 and w[0].endswith("%") and w[1].isdigit() and w[2] != "swapper":
                rows.append((int(w[1]) * 1000.0 / 499, " ".join(w[2:])))
        rows.sort(reverse=True)
        return rows[:top]
