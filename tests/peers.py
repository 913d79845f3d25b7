"""peers.py: real SMTP peers for the remote-delivery tests (stdlib only): free loopback ports,
Postfix's smtp-sink (tools/postfix-tools finds it) with its messages dumped to files, and a
scripted SMTP server for exact byte checks. Every process started here is stopped by its pid
at exit."""
import atexit, glob, os, signal, socket, subprocess, threading, time
import tap

ROOT = os.geteuid() == 0
_procs = []


def _stop_all():
    for p in _procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
atexit.register(_stop_all)


def freeport(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def sinkdir():
    p = subprocess.run(["sh", os.path.join(tap.TOP, "tools", "postfix-tools")], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def track(p):
    _procs.append(p)
    return p


class Sink:
    """smtp-sink on host:port with opts; each message lands in a file under self.dump.
    netns: run it inside that network namespace."""

    def __init__(self, host="127.0.0.1", port=None, opts=(), netns=None):
        self.host, self.port = host, port or freeport(host)
        self.dir = tap.scratch()
        os.chmod(self.dir, 0o755)
        self.dump = os.path.join(self.dir, "dump")
        os.mkdir(self.dump)
        os.chmod(self.dump, 0o777)
        addr = ("[%s]" % host if ":" in host else host) + ":%d" % self.port
        argv = [os.path.join(sinkdir(), "smtp-sink")] + (["-u", "nobody"] if ROOT else []) + list(opts) + \
               ["-d", self.dump + "/%M.", addr, "64"]
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        self.err = open(os.path.join(self.dir, "stderr"), "wb")
        self.proc = track(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err))
        self.netns = netns
        self.wait_listening()

    def wait_listening(self):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        deadline = time.time() + 10
        want = ("[%s]" % self.host if ":" in self.host else self.host) + ":%d" % self.port
        while time.time() < deadline:
            if self.netns:
                p = subprocess.run(["ip", "netns", "exec", self.netns, "ss", "-Hltn"], capture_output=True, text=True)
                if any(want == l.split()[3] for l in p.stdout.splitlines() if len(l.split()) > 3):
                    return
            else:
                with socket.socket(fam, socket.SOCK_STREAM) as s:
                    if s.connect_ex((self.host, self.port)) == 0:
                        return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("smtp-sink did not come up: " + open(os.path.join(self.dir, "stderr")).read())

    def messages(self):
        out = []
        for f in sorted(glob.glob(os.path.join(self.dump, "*"))):
            with open(f, "rb") as fh:
                out.append(fh.read())
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)


class Scripted:
    """A one-connection-at-a-time SMTP server on loopback that answers each line it reads
    with the next canned reply (after the greeting), and records every byte it received.
    replies: {"EHLO": "250-x\\r\\n250 SIZE 10\\r\\n", ...} by command verb; DATA's body gets
    replies["."]. It serves until stopped."""

    def __init__(self, replies, greeting=b"220 scripted ESMTP\r\n", host="127.0.0.1"):
        self.replies, self.greeting = replies, greeting
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.settimeout(10)
                got = b""
                c.sendall(self.greeting)
                indata = False
                buf = b""
                try:
                    while True:
                        d = c.recv(65536)
                        if not d:
                            break
                        got += d
                        buf += d
                        while b"\n" in buf:
                            line, buf = buf.split(b"\n", 1)
                            if indata:
                                if line == b".\r":
                                    indata = False
                                    c.sendall(self.replies.get(".", b"250 ok\r\n"))
                                continue
                            verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper().decode(errors="replace")
                            rep = self.replies.get(verb, b"250 ok\r\n")
                            c.sendall(rep)
                            if verb == "DATA" and rep.startswith(b"354"):
                                indata = True
                            if verb == "QUIT":
                                raise EOFError
                except (OSError, EOFError):
                    pass
                self.received.append(got)

    def stop(self):
        self.sock.close()
