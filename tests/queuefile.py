"""queuefile.py: helpers for the queue tools' tests (stdlib only): a queue made by
tools/mkqueue, messages added by the real qmail-queue, changes made by the real qmail-clean,
and an independent parser of the message file format of doc/QUEUE.md."""
import os, subprocess
import tap

HELD = 999999999999


class Queue:
    def __init__(self, split=23):
        self.home = tap.scratch()
        subprocess.run([os.path.join(tap.TOP, "tools", "mkqueue"), self.home, str(split)], check=True)
        self.q = os.path.join(self.home, "queue")
        self.split = split
        self.env = dict(os.environ, QMAILHOME=self.home)

    def ids(self, sub):
        out = set()
        for root, dirs, names in os.walk(os.path.join(self.q, sub)):
            out |= {int(n) for n in names if n.isdigit()}
        return out

    def path(self, sub, ident):
        return os.path.join(self.q, sub, str(ident % self.split), str(ident))

    def where(self, ident):
        for sub in ("todo", "mess"):
            if os.path.exists(self.path(sub, ident)):
                return self.path(sub, ident)
        return None

    def queue(self, message, sender, rcpts):
        """Queue through qmail-queue (envelope on fd 1); the new message's id."""
        before = self.ids("todo")
        envl = b"F" + sender + b"\0" + b"".join(b"T" + r + b"\0" for r in rcpts) + b"\0"
        efile = os.path.join(self.home, "envelope")
        with open(efile, "wb") as f:
            f.write(envl)
        with open(efile, "rb") as e:
            p = subprocess.run(["qmail-queue"], input=message, stdout=e, stderr=subprocess.PIPE, env=self.env)
        assert p.returncode == 0, p.stderr
        new = self.ids("todo") - before
        assert len(new) == 1
        return new.pop()

    def clean(self, *requests):
        """Requests to the real qmail-clean; its answers."""
        p = subprocess.run(["qmail-clean"], input=b"".join(r + b"\n" for r in requests),
                           capture_output=True, env=self.env)
        assert p.returncode == 0, p.stderr
        return p.stdout.splitlines()

    def run(self, argv, stdin=b""):
        p = subprocess.run(argv, input=stdin, capture_output=True, env=self.env, timeout=60)
        return p.returncode, p.stdout, p.stderr


def parse(path):
    """A message file: {'off', 'birth', 'sender', 'rcpts': [(letter, addr, offset)],
    'N', 'M' (values), 'Noff', 'Moff', 'Boff' (offsets of the digits), 'body', 'data'}."""
    data = open(path, "rb").read()
    assert data[:5] == b"QMQ1 " and data[17:18] == b"\n"
    m = {"off": int(data[5:17]), "rcpts": [], "data": data}
    pos = 18
    while True:
        end = data.index(b"\0", pos)
        if end == pos:
            break
        rec = data[pos:end]
        letter = rec[:1]
        if letter in b"TLRDX":
            m["rcpts"].append((letter.decode(), rec[1:], pos))
        elif letter == b"F":
            m["sender"] = rec[1:]
        elif letter == b"B":
            m["birth"], m["Boff"] = int(rec[1:]), pos + 1
        elif letter in b"NM":
            m[letter.decode()], m[letter.decode() + "off"] = int(rec[1:]), pos + 1
        pos = end + 1
    m["body"] = data[m["off"]:]
    return m
