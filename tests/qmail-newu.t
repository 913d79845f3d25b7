#!/usr/bin/env python3
"""qmail-newu.t: users/assign compiled into users/cdb (decoded here independently of lib/assign,
checked against the key scheme of qmail-newu(8)), lookups through lib/assign on the produced
cdb (tests/unit/assign.t lookup), malformed files refused with the line named and users/cdb
untouched, atomic replacement under concurrent readers, the lock against a concurrent run, and
the fsync/rename order."""
import fcntl, os, pwd, re, shutil, stat, struct, subprocess, sys, threading
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch, run, TOP

LOOKUP = os.path.join(TOP, "tests", "unit", "assign.t")
home = scratch()
users = os.path.join(home, "users")
os.mkdir(users)
ASSIGN, CDB, TMP = (os.path.join(users, n) for n in ("assign", "cdb", "cdb.tmp"))
ENV = {"QMAILHOME": home}


def newu(text=None, env=ENV):
    if text is not None:
        open(ASSIGN, "wb").write(text)
    return run(["qmail-newu"], env=env)


def cdb_records(path):
    """Every (key, value) of a cdb file in file order: the format of cr.yp.to/cdb/cdb.txt."""
    data = open(path, "rb").read()
    end = min(struct.unpack_from("<I", data, 8 * i)[0] for i in range(256))
    pos, out = 2048, []
    while pos < end:
        klen, dlen = struct.unpack_from("<II", data, pos)
        out.append((data[pos + 8:pos + 8 + klen], data[pos + 8 + klen:pos + 8 + klen + dlen]))
        pos += 8 + klen + dlen
    return out


def lookup(local):
    """(source, [user, uid, gid, home, dash, ext]) or (source, exit code) from assign_lookup."""
    rc, out, err = run([LOOKUP, "lookup", local], env=ENV)
    lines = out.decode().split("\n")
    return (lines[0], lines[1:7]) if rc == 0 else (lines[0] if lines[0] else err.decode().strip(), rc)


def catchall(local):
    """What the password database's last resort gives on this machine."""
    try:
        pw = pwd.getpwnam("alias")
    except KeyError:
        return ("none", 100)
    return ("catchall", ["alias", str(pw.pw_uid), str(pw.pw_gid), pw.pw_dir, "-", local]) if pw.pw_uid else ("none", 100)


EXAMPLE = (b"+:alias:7790:2108:/var/qmail/alias:-::\n"
           b"+joe-:joe:507:100:/home/joe:-::\n"
           b"=joe:joe:507:100:/home/joe:::\n"
           b"=Joe.Shmoe:joe:0507:100:/home/joe:-:shmoe:\n"
           b"+joe-list-:list:700:100:/home/list:-:joe-:\n"
           b".\n")

rc, out, err = newu(EXAMPLE)
ok(rc == 0 and out == b"" and err == b"", "the qmail-users(5) example compiles silently", err)
st = os.stat(CDB)
is_(oct(stat.S_IMODE(st.st_mode)), "0o644", "users/cdb has mode 0644")
ok(not os.path.exists(TMP), "no users/cdb.tmp left")
is_(cdb_records(CDB), [
    (b"+", b"alias\x007790\x002108\x00/var/qmail/alias\x00-\x00\x00"),
    (b"+joe-", b"joe\x00507\x00100\x00/home/joe\x00-\x00\x00"),
    (b"=joe", b"joe\x00507\x00100\x00/home/joe\x00\x00\x00"),
    (b"=joe.shmoe", b"joe\x00507\x00100\x00/home/joe\x00-\x00shmoe\x00"),
    (b"+joe-list-", b"list\x00700\x00100\x00/home/list\x00-\x00joe-\x00"),
    (b"", b"-"),
], "cdb records: =local and +prefix lowercased, NUL-ended fields, ids canonical, \"\" lists the prefix ends")

is_(lookup("joe"), ("exact", ["joe", "507", "100", "/home/joe", "", ""]), "lookup joe: the = line")
is_(lookup("JOE.shmoe"), ("exact", ["joe", "507", "100", "/home/joe", "-", "shmoe"]), "lookup without regard to case")
is_(lookup("joe-direct"), ("wild", ["joe", "507", "100", "/home/joe", "-", "direct"]), "lookup joe-direct: wildcard")
is_(lookup("joe-list-Sub"), ("wild", ["list", "700", "100", "/home/list", "-", "joe-Sub"]), "longest wildcard, pre + rest")
is_(lookup("bill"), ("wild", ["alias", "7790", "2108", "/var/qmail/alias", "-", "bill"]), "lookup bill: the catch-all")

# no catch-all in users/cdb: an address it does not know falls back to qmail-getpw's rules
rc, _, err = newu(b"=joe:joe:507:100:/home/joe:::\n.\n")
ok(rc == 0, "a cdb without catch-all", err)
is_(lookup("root"), catchall("root"), "root: not in users/cdb, uid 0 in passwd: the alias account or nobody")
os.unlink(CDB)
is_(lookup("qm-no-such-user"), catchall("qm-no-such-user"), "users/cdb missing: the password database, then alias")

# malformed files: 111, the line named, users/cdb byte-for-byte and inode untouched, no tmp left
newu(EXAMPLE)
good = open(CDB, "rb").read()
ino = os.stat(CDB).st_ino
for name, text, line, why in [
    ("missing final dot", b"=joe:joe:507:100:/home/joe:::\n", 2, 'end of file before the final line "." \\(a truncated file\\?\\)'),
    ("empty file", b"", 1, "end of file before the final line"),
    ("too few fields", b"=joe:joe:507:100:/home/joe::\n.\n", 1, "too few fields: want 7, each ended by a colon"),
    ("too many fields", b"=a:a:1:1:/a:::\n=joe:joe:507:100:/home/joe::::\n.\n", 2, "too many fields"),
    ("trailing garbage", b"=a:a:1:1:/a:::\n=b:b:1:1:/b:::\n=joe:joe:507:100:/home/joe:::junk\n.\n", 3, "text after the last colon"),
    ("CRLF lines", b"=joe:joe:507:100:/home/joe:::\r\n.\r\n", 1, "text after the last colon"),
    ("non-numeric uid", b"=joe:joe:5o7:100:/home/joe:::\n.\n", 1, "uid is not a decimal number"),
    ("non-numeric gid", b"=joe:joe:507:staff:/home/joe:::\n.\n", 1, "gid is not a decimal number"),
    ("uid 0", b"=root:root:0:0:/root:::\n.\n", 1, "uid 0: mail is never delivered as root"),
    ("relative home", b"=joe:joe:507:100:home/joe:::\n.\n", 1, "home directory is not an absolute path"),
    ("not an assignment", b"# comment\n.\n", 1, "not an assignment"),
    ("text after the dot", b"=joe:joe:507:100:/home/joe:::\n.\n=x:x:1:1:/x:::\n", 3, 'text after the final line "."'),
    ("NUL", b"=jo\0e:joe:507:100:/home/joe:::\n.\n", 1, "NUL in the line"),
]:
    rc, out, err = newu(text)
    is_(rc, 111, "%s: exit 111" % name)
    ok(re.fullmatch(rb"qmail-newu: fatal: users/assign line %d: %s[^\n]*; users/cdb left unchanged\n" % (line, why.encode()), err),
       "%s: line %d named" % (name, line), err)
    ok(open(CDB, "rb").read() == good and os.stat(CDB).st_ino == ino, "%s: users/cdb untouched" % name)
    ok(not os.path.exists(TMP), "%s: no users/cdb.tmp left" % name)

os.unlink(ASSIGN)
rc, out, err = newu()
ok(rc == 111 and err == b"qmail-newu: fatal: unable to read users/assign: No such file or directory\n", "missing assign: 111", err)
ok(open(CDB, "rb").read() == good, "missing assign: users/cdb untouched")
rc, out, err = newu(EXAMPLE, env={"QMAILHOME": home + "/nowhere"})
ok(rc == 111 and b"unable to chdir to " in err, "missing home: 111", err)

# replacement is a rename: a reader holding the old cdb keeps it whole; the name gets the new one
old = open(CDB, "rb")
rc, _, err = newu(b"=joe:bill:600:100:/home/bill:::\n.\n")
ok(rc == 0, "recompile", err)
ok(os.stat(CDB).st_ino != ino, "users/cdb is a new file (renamed over the old one)")
is_(old.read(), good, "the old cdb, still open, is intact")
old.close()
is_(lookup("joe")[1][0], "bill", "the name leads to the new assignments")

# a stale users/cdb.tmp (a crashed run: other mode, garbage) is replaced
open(TMP, "wb").write(b"garbage" * 1000)
os.chmod(TMP, 0o600)
rc, _, err = newu(EXAMPLE)
ok(rc == 0 and not os.path.exists(TMP), "a stale users/cdb.tmp does not stop a run", err)
is_(oct(stat.S_IMODE(os.stat(CDB).st_mode)), "0o644", "mode 0644 whatever the stale file's mode")
p = subprocess.run(["qmail-newu"], env=dict(os.environ, **ENV), preexec_fn=lambda: os.umask(0o077))
is_(oct(stat.S_IMODE(os.stat(CDB).st_mode)), "0o644", "mode 0644 whatever the umask")

# readers never see a missing or partial users/cdb while qmail-newu runs again and again
A = b"=joe:joe:507:100:/home/joe:::\n" + b"".join(b"=u%d:u:1:1:/u:::\n" % i for i in range(3000)) + b".\n"
B = b"=joe:bill:600:100:/home/bill:::\n" + b"".join(b"+w%d-:w:2:2:/w:-::\n" % i for i in range(3000)) + b".\n"
seen, bad, stop = set(), [], threading.Event()


def reader():
    while not stop.is_set():
        src, fields = lookup("joe")
        if src == "exact" and fields[0] in ("joe", "bill"):
            seen.add(fields[0])
        else:
            bad.append((src, fields))


t = threading.Thread(target=reader)
t.start()
failures = 0
for i in range(30):
    rc, _, err = newu(A if i % 2 else B)
    failures += rc != 0
stop.set()
t.join()
is_(failures, 0, "30 recompilations succeeded")
is_(bad, [], "concurrent lookups always found a complete cdb")
ok(len(seen) >= 1, "lookups answered during the runs (%s)" % ",".join(sorted(seen)))

# the lock: a run waits for another one; if that one renamed the file meanwhile, the waiter
# must not write into the now live users/cdb, but start over on a fresh users/cdb.tmp
open(ASSIGN, "wb").write(EXAMPLE)
fd = os.open(TMP, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX)
p = subprocess.Popen(["qmail-newu"], env=dict(os.environ, **ENV), stderr=subprocess.PIPE)
try:
    p.wait(timeout=1)
    ok(False, "qmail-newu waits for the lock")
except subprocess.TimeoutExpired:
    ok(True, "qmail-newu waits for the lock")
os.write(fd, b"the other run's cdb")
os.rename(TMP, CDB)  # as the other run's commit would
fcntl.lockf(fd, fcntl.LOCK_UN)
err = p.stderr.read()
is_(p.wait(timeout=30), 0, "then it completes")
os.lseek(fd, 0, os.SEEK_SET)
is_(os.read(fd, 100), b"the other run's cdb", "the file it waited on was not truncated or rewritten")
os.close(fd)
is_(lookup("joe")[1][0], "joe", "users/cdb holds its own compilation")
ok(not os.path.exists(TMP), "no users/cdb.tmp left")

# the commit order, if strace is there: write, fsync the file, rename, fsync the directory
if shutil.which("strace"):
    log = os.path.join(home, "strace.log")
    subprocess.run(["strace", "-f", "-o", log, "-e", "trace=openat,fsync,rename,renameat,renameat2", "qmail-newu"],
                   env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0", **ENV), check=False)
    calls = [l for l in open(log).read().splitlines() if re.search(r"fsync|rename|cdb|\"users\"", l)]
    kinds = []
    for l in calls:
        if "rename" in l and "cdb.tmp" in l:
            kinds.append("rename")
        elif "fsync(" in l:
            kinds.append("fsync")
        elif "openat" in l and "\"users\"" in l:
            kinds.append("open users/")
        elif "openat" in l and "cdb.tmp" in l:
            kinds.append("open tmp")
    is_(kinds, ["open tmp", "fsync", "rename", "open users/", "fsync"], "fsync the file, rename, fsync users/")
else:
    ok(True, "# skip strace not installed")

if os.geteuid() != 0:
    os.chmod(users, 0o555)
    before = open(CDB, "rb").read()
    rc, _, err = newu()
    os.chmod(users, 0o755)
    ok(rc == 111 and b"unable to open users/cdb.tmp: Permission denied" in err, "users/ not writable: 111", err)
    ok(open(CDB, "rb").read() == before, "users/ not writable: users/cdb untouched")
else:
    ok(True, "# skip users/ not writable: root ignores permissions")
done()
