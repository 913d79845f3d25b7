"""qlocal.py: shared by the local-delivery tests (qmail-local.t, qmail-local-helpers.t).
The programs run as an ordinary user: the current one, or when the tests run as root (CI),
the system user qmtestu (created if missing) through setpriv. The built programs are copied to
a scratch bin/ so that user can run them wherever the tree lives. A fake qmail-queue saves
the message (fd 0) and envelope (fd 1) to files and exits with $QQ_EXIT."""
import os, pwd, shutil, subprocess, tempfile, tap

ROOT = os.geteuid() == 0
PROGS = ("qmail-local", "preline", "forward", "bouncesaying", "condredirect", "except")

FAKE_QQ = """#!/bin/sh
# fake qmail-queue: $QQ_NOREAD: exit at once; else save fd 0 and fd 1 in $QQ_DIR
[ -n "$QQ_NOREAD" ] && exit "${QQ_EXIT:-0}"
cat > "$QQ_DIR/message" || exit 54
cat <&1 > "$QQ_DIR/envelope" || exit 54
exit "${QQ_EXIT:-0}"
"""


def account():
    """The pwd entry of the delivering user."""
    if not ROOT:
        return pwd.getpwuid(os.getuid())
    try:
        return pwd.getpwnam("qmtestu")
    except KeyError:
        # another test may create it at the same moment: ignore the result, look again
        subprocess.run(["useradd", "-M", "-N", "-r", "-s", "/usr/sbin/nologin", "qmtestu"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return pwd.getpwnam("qmtestu")


class World:
    """A scratch directory with bin/ (the programs and the fake qmail-queue) and qq/ (what
    the fake qmail-queue saw)."""

    def __init__(self):
        self.pw = account()
        if ROOT:
            tempfile.tempdir = "/tmp"  # qmtestu must reach the scratch directory, whatever $TMPDIR says
        self.top = tap.scratch()
        os.chmod(self.top, 0o755)
        self.bin = os.path.join(self.top, "bin")
        os.mkdir(self.bin)
        for p in PROGS:
            shutil.copy(os.path.join(tap.TOP, "qmail-local", p), self.bin)
        self.qq = os.path.join(self.bin, "fake-qmail-queue")
        with open(self.qq, "w") as f:
            f.write(FAKE_QQ)
        os.chmod(self.qq, 0o755)
        self.qqdir = os.path.join(self.top, "qq")
        self.n = 0

    def home(self, mode=0o755):
        """A fresh home directory."""
        self.n += 1
        h = os.path.join(self.top, "home%d" % self.n)
        os.mkdir(h)
        os.chmod(h, mode)
        return h

    def file(self, path, data, mode=0o644):
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.chmod(path, mode)
        return path

    def maildir(self, path):
        for d in ("", "tmp", "new", "cur"):
            os.mkdir(os.path.join(path, d), 0o700)
        return path

    def give(self, *paths):
        """Hand the paths (recursively) to the delivering user; modes are kept."""
        if not ROOT:
            return
        for p in paths:
            for root, dirs, files in os.walk(p):
                for x in [root] + [os.path.join(root, y) for y in files]:
                    os.lchown(x, self.pw.pw_uid, self.pw.pw_gid)

    def qqreset(self):
        shutil.rmtree(self.qqdir, ignore_errors=True)
        os.mkdir(self.qqdir)
        self.give(self.qqdir)

    def qqsaw(self):
        """(message, envelope) the fake qmail-queue saved, or None."""
        try:
            with open(os.path.join(self.qqdir, "message"), "rb") as m, open(os.path.join(self.qqdir, "envelope"), "rb") as e:
                return m.read(), e.read()
        except OSError:
            return None

    def argv(self, argv):
        argv = [os.path.join(self.bin, argv[0])] + list(argv[1:])
        if ROOT:
            argv = ["setpriv", "--reuid=%d" % self.pw.pw_uid, "--regid=%d" % self.pw.pw_gid, "--clear-groups", "--"] + argv
        return argv

    def env(self, extra=None):
        e = dict(os.environ)
        e["PATH"] = self.bin + ":/usr/local/bin:/usr/bin:/bin"
        e["QMAILQUEUE"] = self.qq
        e["QQ_DIR"] = self.qqdir
        for k in ("QQ_EXIT", "QQ_NOREAD", "DEFAULT", "NEWSENDER", "DTLINE", "RPLINE", "UFLINE"):
            e.pop(k, None)
        for k, v in (extra or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def spawn(self, argv, message, env=None, cwd=None, preexec_fn=None, asroot=False):
        """Start argv as the delivering user with the message file on fd 0."""
        msg = os.path.join(self.top, "message.%d" % os.getpid())
        self.file(msg, message)
        with open(msg, "rb") as f:
            return subprocess.Popen(argv if asroot else self.argv(argv), stdin=f, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=self.env(env), cwd=cwd or self.top,
                                    preexec_fn=preexec_fn)

    def run(self, argv, message=b"", env=None, **kw):
        """Run argv as the delivering user: (exit code, stdout, stderr)."""
        p = self.spawn(argv, message, env, **kw)
        out, err = p.communicate(timeout=60)
        return p.returncode, out, err
