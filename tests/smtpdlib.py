"""smtpdlib.py: qmail-smtpd under a real tcpserver with tcprules, for the SMTP tests (stdlib
only). Smtpd(inst, rules) compiles the rules with tcprules and starts tcpserver on a free
loopback port as the instance's user; Raw is a plain socket client for what smtplib cannot
send (pipelined batches, BDAT, broken line ends)."""
import atexit, os, socket, subprocess, time


def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Smtpd:
    def __init__(self, inst, rules=":allow\n", env=None, host="127.0.0.1", name="smtpd", prog=None):
        """prog: the argv tcpserver runs (default: the instance's qmail-smtpd)"""
        self.inst, self.host = inst, host
        base = os.path.join(inst.home, name)
        inst.put(name + ".rules", rules)
        p = subprocess.run(inst.argv(["/usr/bin/tcprules", base + ".cdb", base + ".tmp"]),
                           input=rules.encode(), capture_output=True, cwd=inst.home)
        assert p.returncode == 0, p.stderr
        self.log = base + ".log"
        for attempt in range(5):
            self.port = free_port(host)
            logf = open(self.log, "ab")
            self.proc = subprocess.Popen(
                inst.argv(["/usr/bin/tcpserver", "-x", base + ".cdb", "-R", "-H", "-l", "localhost",
                           "-c", "40", host, str(self.port)] + (prog or [os.path.join(inst.bin, "qmail-smtpd")])),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=logf, env=inst.env(env), cwd=inst.home)
            logf.close()
            if self.wait_ready():
                atexit.register(self.stop)
                return
            self.stop()
        raise RuntimeError("tcpserver did not start on %s" % host)

    def wait_ready(self):
        deadline = time.time() + 10
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection((self.host, self.port), timeout=5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def logtext(self):
        try:
            return open(self.log, "rb").read().decode(errors="replace")
        except OSError:
            return ""


class Raw:
    """A socket client that reads whole replies (multi-line too)."""
    def __init__(self, host, port, source=None, timeout=20):
        self.s = socket.create_connection((host, port), timeout=timeout,
                                          source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError(self.buf)
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode(errors="replace")

    def reply(self):
        """One reply: its last line (multi-line replies are read to the end)."""
        while True:
            l = self.line()
            if len(l) < 4 or l[3] != "-":
                return l

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def closed(self, timeout=10):
        """True if the server closes the connection (after reading anything left)."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except ConnectionResetError:
            return True
        except OSError:
            return False

    def close(self):
        self.s.close()


FAKE_QQ = """#!/bin/sh
# a QMAILQUEUE stand-in: saves message and envelope under $1/N.msg and N.env, then does what
# the file "$1/action" says: "exit N", or "custom TEXT" (the filter protocol: TEXT on fd 4, exit 82)
d=%s
n=$(mktemp "$d/q.XXXXXX") || exit 53
cat > "$n.msg" || exit 54
cat <&1 > "$n.env" || exit 54
rm -f "$n"
[ -s "$n.env" ] || { rm -f "$n.msg" "$n.env"; exit 54; }
read -r what arg < "$d/action" 2>/dev/null || what=
case $what in
  exit) exit "$arg" ;;
  custom) printf '%%s' "$arg" >&4; exit 82 ;;
esac
exit 0
"""


def fake_queue(inst, name="fakeqq"):
    """A QMAILQUEUE script and its directory; returns (path, directory)."""
    d = os.path.join(inst.home, name)
    os.mkdir(d)
    path = inst.put(name + ".sh", FAKE_QQ % d, mode=0o755)
    inst.give()
    return path, d


def fake_results(d):
    """[(message bytes, [sender, rcpt...])] of the completed fake_queue runs, oldest first."""
    out = []
    names = sorted((os.path.getmtime(os.path.join(d, f)), f) for f in os.listdir(d) if f.endswith(".env"))
    for _, f in names:
        env = open(os.path.join(d, f), "rb").read()
        msg = open(os.path.join(d, f[:-4] + ".msg"), "rb").read()
        fields = [x.decode(errors="replace") for x in env.split(b"\0") if x]
        out.append((msg, [x[1:] for x in fields]))
    return out
