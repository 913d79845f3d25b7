"""tap.py: imported by Python tests (stdlib only). TAP output, the built programs on PATH,
and a scratch directory removed at exit."""
import atexit, os, shutil, subprocess, sys, tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for d in ("maildir", "qmail-send", "qmail-smtpd", "qmail-local", "qmail-remote", "qmail-pop3d", "control", "tls"):
    os.environ["PATH"] = os.path.join(TOP, d) + os.pathsep + os.environ["PATH"]
os.environ["LC_ALL"] = "C"
os.environ["TZ"] = "UTC"

_n = 0
_failed = 0

def ok(cond, name, diag=None):
    global _n, _failed
    _n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (_n, name))
    if not cond:
        _failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:40]:
                print("#   " + line)
    sys.stdout.flush()
    return cond

def is_(got, want, name, diag=None):
    extra = "" if diag is None else "\n" + str(diag)
    return ok(got == want, name, "got:  %r\nwant: %r%s" % (got, want, extra))

def done():
    print("1..%d" % _n)
    sys.exit(1 if _failed else 0)

def scratch():
    d = tempfile.mkdtemp(prefix="qmtest.")
    def rm():
        for root, dirs, files in os.walk(d):
            for x in dirs:
                try: os.chmod(os.path.join(root, x), 0o700)
                except OSError: pass
        shutil.rmtree(d, ignore_errors=True)
    atexit.register(rm)
    return d

def run(argv, stdin=b"", env=None, cwd=None, timeout=60):
    """Run a program; return (exit code, stdout bytes, stderr bytes)."""
    e = dict(os.environ)
    if env: e.update(env)
    p = subprocess.run(argv, input=stdin, capture_output=True, env=e, cwd=cwd, timeout=timeout)
    return p.returncode, p.stdout, p.stderr
