#!/usr/bin/env python3
"""Crash test (doc/QUEUE.md's argument, checked): 2,000 messages are queued while SIGKILL hits
qmail-send, qmail-todo, qmail-queue and qmail-local at 120 random instants (a bounded loop);
the system is restarted whenever it went down. Afterwards every message qmail-queue accepted
(exit 0) must be in the Maildir at least once, and no file ever seen in new/ was partial."""
import glob, os, random, signal, subprocess, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from instance import Instance, programs, wait_for

N = int(os.environ.get("CRASH_MESSAGES", "2000"))
KILLS = int(os.environ.get("CRASH_KILLS", "120"))
random.seed(int(os.environ.get("CRASH_SEED", str(int(time.time())))))

inst = Instance(control={"concurrencylocal": "10\n"})
inst.start()
newdir = os.path.join(inst.demo, "Maildir", "new")

def pids(name):
    return [pid for pid, prog in programs(inst.bin).items() if prog == name]

accepted, lock = set(), threading.Lock()
def inject(ids):
    for i in ids:
        body = b"Subject: crash %d\n\n" % i + b"x" * random.randint(0, 3000) + b"\nEND %d\n" % i
        if inst.queue(body, "demo@localhost", ["demo@localhost"]) == 0:
            with lock:
                accepted.add(i)

partial, seen, stop_watch = [], set(), threading.Event()
def watch():
    """Read every file as soon as it shows up in new/: it must already be whole."""
    while not stop_watch.is_set():
        for p in os.listdir(newdir):
            if p in seen:
                continue
            seen.add(p)
            try:
                data = open(os.path.join(newdir, p), "rb").read()
            except FileNotFoundError:
                continue
            tail = data.rsplit(b"\nEND ", 1)
            if len(tail) != 2 or not tail[1].endswith(b"\n") or not data.startswith(b"Return-Path: "):
                partial.append(p)
        time.sleep(0.005)

watcher = threading.Thread(target=watch)
watcher.start()
injectors = [threading.Thread(target=inject, args=(range(k, N, 4),)) for k in range(4)]
for t in injectors:
    t.start()

kills, restarts = {}, 0
def supervise():
    """Restart the system when qmail-send has exited, as supervise does."""
    global restarts
    if inst.proc and inst.proc.poll() is None:
        return
    wait_for(lambda: not pids("qmail-send") and not pids("qmail-todo") and not pids("qmail-clean"), 10)
    inst.proc = None
    inst.start()
    restarts += 1

targets = ["qmail-send", "qmail-todo", "qmail-queue", "qmail-local"]
deadline = time.time() + 240
while sum(kills.values()) < KILLS and time.time() < deadline:
    time.sleep(random.uniform(0.005, 0.08))
    name = random.choice(targets)
    victims = pids(name)
    if victims:
        try:
            os.kill(random.choice(victims), signal.SIGKILL)
            kills[name] = kills.get(name, 0) + 1
        except ProcessLookupError:
            pass
    supervise()  # qmail-send dies with any of its partners
for t in injectors:
    t.join()

# let everything settle: deferred deliveries (a killed qmail-local) are retried at once
def drained():
    supervise()
    time.sleep(0.2)  # let a restarted qmail-send set up its signal handling
    inst.signal(signal.SIGALRM)
    return not inst.queued()
def procs():
    out = []
    for pid in inst.ours():
        try:
            st = dict(l.split(":", 1) for l in open("/proc/%d/status" % pid).read().splitlines() if ":" in l)
            out.append("%d %s %s blk=%s pnd=%s wchan=%s fds=%s" % (pid, st["Name"].strip(), st["State"].strip(), st["SigBlk"].strip(),
                       st["ShdPnd"].strip(), open("/proc/%d/wchan" % pid).read(), sorted(os.listdir("/proc/%d/fd" % pid), key=int)))
        except OSError:
            pass
    return "\n".join(out)
tap.ok(wait_for(drained, 60), "queue drained after the storm", procs() + "\n" + inst.logtext()[-1500:])
stop_watch.set()
watcher.join()

tap.ok(sum(kills.values()) >= 100, "at least 100 kills (%s), %d restarts" % (kills, restarts))
tap.ok(all(kills.get(t, 0) > 0 for t in targets), "every target killed at least once", kills)
tap.ok(len(accepted) > N // 2, "%d of %d messages accepted" % (len(accepted), N))
delivered = {}
for p in glob.glob(os.path.join(inst.demo, "Maildir", "new", "*")) + glob.glob(os.path.join(inst.demo, "Maildir", "cur", "*")):
    data = open(p, "rb").read()
    i = int(data.rsplit(b"\nEND ", 1)[1])
    delivered[i] = delivered.get(i, 0) + 1
missing = sorted(accepted - set(delivered))
tap.is_(missing, [], "every accepted message delivered at least once")
if os.environ.get("CRASH_KEEP"):
    subprocess.run(["cp", "-a", inst.home, os.environ["CRASH_KEEP"]])
tap.is_(partial, [], "no partial file ever visible in new/")
tap.is_(os.listdir(os.path.join(inst.demo, "Maildir", "tmp")) and [], [], "(tmp/ leftovers are allowed: a killed qmail-local)")
dups = sum(1 for v in delivered.values() if v > 1)
print("# %d accepted, %d delivered, %d delivered twice or more, kills %s, restarts %d" % (len(accepted), len(delivered), dups, kills, restarts))
tap.is_(inst.stop(), 0, "clean stop at the end")
tap.done()
