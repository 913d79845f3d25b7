"""pop3lib.py: shared by the POP3 tests (stdlib only). Pop3Server is a scratch QMAILHOME with
users/pop3passwd compiled by qmail-newpop3, one mailbox owned by the test account (qmtestu
as root, else the current user), and a real tcpserver on 127.0.0.1 running
qmail-popup testhost qmail-checkpw qmail-pop3d Maildir. As root, tcpserver, qmail-popup and
qmail-checkpw run as root and qmail-pop3d as qmtestu, as deployed. Dovecot is a private
dovecot serving a Maildir as the test account. Every process is stopped at exit."""
import atexit, os, shutil, signal, socket, subprocess, tempfile, time
import tap, qlocal
from procs import programs

PROGS = ("qmail-popup", "qmail-checkpw", "qmail-pop3d", "qmail-newpop3")
PASS1 = "secret one"         # u1: {plain}, so APOP works
PASS2 = "Secret-Two"         # u2: a SHA-512 crypt(3) hash


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def crypt_sha512(password, salt="qmtestsalt"):
    p = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, password], capture_output=True, check=True)
    return p.stdout.decode().strip()


def message(i, size=600):
    """A test message: header, a body with a dot line, bare LFs; about size bytes."""
    body = "".join("line %d of message %d %s\n" % (j, i, "x" * 30) for j in range(max(1, size // 60)))
    return ("From: sender%d@example.org\nTo: u1@example.org\nSubject: message %d\n"
            "Message-Id: <%d@test>\n\n.starts with a dot\n%s.\nlast line\n" % (i, i, i, body)).encode()


class Pop3Server:
    def __init__(self, env=None):
        self.pw = qlocal.account()
        if qlocal.ROOT:
            tempfile.tempdir = "/tmp"
        self.top = tap.scratch()
        os.chmod(self.top, 0o755)
        self.bin = os.path.join(self.top, "bin")
        os.mkdir(self.bin)
        for p in PROGS:
            shutil.copy(os.path.join(tap.TOP, "qmail-pop3d", p), self.bin)
        self.qhome = os.path.join(self.top, "qmail")
        for d in ("", "control", "users"):
            os.mkdir(os.path.join(self.qhome, d))
        self.mhome = os.path.join(self.top, "mbox")
        self.maildir = os.path.join(self.mhome, "Maildir")
        for d in ("", "tmp", "new", "cur"):
            os.makedirs(os.path.join(self.maildir, d), 0o700, exist_ok=True)
        os.chmod(self.mhome, 0o755)
        self.give(self.mhome)
        self.passwd({"u1": "{plain}" + PASS1, "u2": crypt_sha512(PASS2)})
        self.log = os.path.join(self.top, "log")
        self.proc = None
        self.procs = []
        self.n = 0
        self.start(env)
        atexit.register(self.stop)

    def give(self, path):
        """Hand a file or a tree to the test account (as root)."""
        if not qlocal.ROOT:
            return
        os.lchown(path, self.pw.pw_uid, self.pw.pw_gid)
        qlocal.World.give(self, path)

    def passwd(self, users, uid=None):
        uid = self.pw.pw_uid if uid is None else uid
        with open(os.path.join(self.qhome, "users", "pop3passwd"), "w") as f:
            for u, secret in users.items():
                f.write("%s:%s:%d:%d:%s\n" % (u, secret, uid, self.pw.pw_gid, self.mhome))
        return self.newpop3()

    def newpop3(self):
        return subprocess.run([os.path.join(self.bin, "qmail-newpop3")], capture_output=True,
                              env=dict(os.environ, QMAILHOME=self.qhome), timeout=30)

    def env(self, extra=None):
        e = dict(os.environ, QMAILHOME=self.qhome, PATH=self.bin + ":/usr/bin:/bin")
        e.pop("TIMEOUTPOP3D", None)
        e.update(extra or {})
        return e

    def start(self, env=None):
        self.proc, self.port = self.listen(env)

    def listen(self, env=None, prefix=()):
        """Another tcpserver on this instance: prefix (such as qmail-tls -s) comes before
        qmail-popup. Returns (process, port); stop() stops it too."""
        for attempt in range(5):
            port = free_port()
            argv = ["tcpserver", "-HR", "-l", "0", "127.0.0.1", str(port)] + list(prefix) + [
                    os.path.join(self.bin, "qmail-popup"), "testhost", os.path.join(self.bin, "qmail-checkpw"),
                    os.path.join(self.bin, "qmail-pop3d"), "Maildir"]
            with open(self.log, "ab") as log:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                        env=self.env(env), cwd=self.top)
            if wait_port(port, proc):
                self.procs.append(proc)
                return proc, port
            self.endproc(proc)
        raise RuntimeError("tcpserver did not start: " + self.logtext())

    @staticmethod
    def endproc(proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop(self):
        for proc in self.procs:
            self.endproc(proc)
        self.procs = []
        self.proc = None
        for pid in programs(self.bin):  # sessions still running
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def tls(self):
        """qmail-tls in bin/ and a fresh self-signed certificate (key apart) in control/;
        returns the qmail-tls -s argv start (as root: -u and -g the test account, and -P:
        qmail-popup stays root as deployed)."""
        tls = os.path.join(self.bin, "qmail-tls")
        shutil.copy(os.path.join(tap.TOP, "tls", "qmail-tls"), tls)
        key = os.path.join(self.qhome, "control", "serverkey.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", key,
                        "-out", os.path.join(self.qhome, "control", "servercert.pem")], check=True, capture_output=True)
        os.chmod(key, 0o600)
        if qlocal.ROOT:
            return [tls, "-s", "-u", str(self.pw.pw_uid), "-g", str(self.pw.pw_gid), "-P"]
        return [tls, "-s"]

    def logtext(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def deliver(self, data, where="new", mtime=None, name=None):
        """Put a message in the Maildir; mtimes grow with each message unless given."""
        self.n += 1
        name = name or "%d.M%dP%d.testhost" % (1700000000 + self.n, self.n, os.getpid())
        path = os.path.join(self.maildir, where, name)
        with open(path, "wb") as f:
            f.write(data)
        t = mtime if mtime is not None else 1700000000 + self.n
        os.utime(path, (t, t))
        self.give(path)
        return path

    def files(self):
        return sorted(os.listdir(os.path.join(self.maildir, "cur")) + os.listdir(os.path.join(self.maildir, "new")))

    def clear(self):
        for d in ("new", "cur", "tmp"):
            for x in os.listdir(os.path.join(self.maildir, d)):
                os.unlink(os.path.join(self.maildir, d, x))


DOVECOT_CONF = """base_dir = {top}/run
state_dir = {top}/state
listen = 127.0.0.1
protocols = pop3
service anvil {{
  chroot =
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
}}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = {top}/dovecot.log
info_log_path = {top}/dovecot.log
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {top}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
mail_location = maildir:{maildir}
pop3_uidl_format = %f
"""


class Dovecot:
    """A private Dovecot POP3 server for user u1 (password PASS1) over the given Maildir."""

    def __init__(self, maildir, home, pw, top):
        self.top = top
        for d in ("run", "state"):
            os.makedirs(os.path.join(top, d), exist_ok=True)
        with open(os.path.join(top, "passwd"), "w") as f:
            f.write("u1:%s\n" % PASS1)
        import grp
        self.conf = os.path.join(top, "dovecot.conf")
        self.proc = None
        for attempt in range(5):
            self.port = free_port()
            with open(self.conf, "w") as f:
                f.write(DOVECOT_CONF.format(top=top, port=self.port, user=pw.pw_name, group=grp.getgrgid(pw.pw_gid).gr_name,
                                            uid=pw.pw_uid, gid=pw.pw_gid, home=home, maildir=maildir))
            if qlocal.ROOT:
                for root, dirs, files in os.walk(top):
                    for x in [root] + [os.path.join(root, y) for y in files]:
                        os.lchown(x, pw.pw_uid, pw.pw_gid)
            argv = ["/usr/sbin/dovecot", "-F", "-c", self.conf]
            if qlocal.ROOT:
                argv = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups", "--"] + argv
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=open(os.path.join(top, "dovecot.err"), "ab"), start_new_session=True)
            if wait_port(self.port, self.proc):
                atexit.register(self.stop)
                return
            self.stop()
        raise RuntimeError("dovecot did not start: " + self.logtext())

    def logtext(self):
        out = ""
        for n in ("dovecot.err", "dovecot.log"):
            try:
                with open(os.path.join(self.top, n), "rb") as f:
                    out += f.read().decode(errors="replace")[-3000:]
            except OSError:
                pass
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
