#!/usr/bin/env python3
"""maildir2mbox.t: fill Maildirs with Python's mailbox.Maildir, run maildir2mbox, read the mbox
back with mailbox.mbox and compare every message byte for byte with the original after an
independent mboxrd quoting; then bad input, where not one message may be lost; then locking."""
import fcntl, mailbox, os, random, re, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, is_, done, scratch, run

ROOT = os.geteuid() == 0


def maildir(path):
    md = mailbox.Maildir(path, create=True)
    return md


def deliver(md, path, data, t, cur_flags=None):
    """Add data with mailbox.Maildir, then give it delivery time t (the number its name starts
    with), and with cur_flags move it to cur/ as a reader would. Returns the final path."""
    key = md.add(data)
    name = "%d.%s" % (t, key)
    sub = "new"
    if cur_flags is not None:
        sub, name = "cur", name + ":2," + cur_flags
    dest = os.path.join(path, sub, name)
    os.rename(os.path.join(path, "new", key), dest)
    return dest


def mboxrd(data):
    """The expected mbox body: one more '>' before ^>*From, and a final newline if missing."""
    out = re.sub(rb"(?m)^(>*From )", rb">\1", data)
    if out and not out.endswith(b"\n"):
        out += b"\n"
    return out


def snapshot(*paths):
    """Every file under paths with its bytes, to show that nothing changed."""
    files = {}
    for top in paths:
        if os.path.isfile(top):
            files[top] = open(top, "rb").read()
        for root, dirs, names in os.walk(top):
            for n in names:
                p = os.path.join(root, n)
                files[p] = open(p, "rb").read()
    return files


def env(md, mbox, tmp=None):
    return {"MAILDIR": md, "MAIL": mbox, "MAILTMP": tmp or mbox + ".tmp"}


def read_mbox(path):
    """[(From_ line without "From ", message bytes)] as Python's mbox reader splits them."""
    box = mailbox.mbox(path, create=False)
    out = [(box.get_file(k, from_=True).readline().rstrip(b"\n")[5:], box.get_bytes(k)) for k in box.iterkeys()]
    box.close()
    return out


def from_line(sender, t):
    return sender + b" " + time.asctime(time.gmtime(t)).encode()


# ---------------------------------------------------------------- the conversion, byte for byte
def conversion():
    d = scratch()
    mdpath, mbox = os.path.join(d, "Maildir"), os.path.join(d, "mbox")
    md = maildir(mdpath)
    rnd = random.Random(42)
    big_text = b"".join(
        (b"From line %d of a big message\n" % i if i % 97 == 0 else
         b">From quoted %d\n" % i if i % 89 == 0 else
         b"x" * rnd.randrange(0, 200) + b"\n")
        for i in range(12000))
    big_binary = rnd.randbytes(1 << 20) + b"\nFrom end\n>>From end"
    cases = [
        # (name, content, delivery time, sender on the From_ line, cur/ flags or None)
        ("return-path", b"Return-Path: <alice@example.org>\nSubject: a\n\nFrom the start\n>From quoted\n>>>From deep\n From indented\nFrom\n",
         1700000005, b"alice@example.org", None),
        ("no return-path", b"Subject: b\n\nbody\n", 1700000001, b"MAILER-DAEMON", None),
        ("bounce <>", b"Return-Path: <>\nSubject: bounce\n\nbody\n", 1700000002, b"MAILER-DAEMON", "S"),
        ("empty message", b"", 1700000003, b"MAILER-DAEMON", None),
        ("no final newline", b"Return-Path: <bob@example.net>\n\nlast line without newline", 1700000004, b"bob@example.net", "RS"),
        ("From at the very start", b"From someone\nSubject: header-less\n", 1700000000, b"MAILER-DAEMON", None),
        ("1 MB of text", b"Return-Path: <big@example.org>\nSubject: big\n\n" + big_text, 1700000007, b"big@example.org", None),
        ("1 MB of 8-bit bytes", b"Subject: binary\n\n" + big_binary, 1700000008, b"MAILER-DAEMON", ""),
        ("8-bit", b"Return-Path: <r\xe9sum\xe9@example.org>\nSubject: \xe9t\xe9\n\n" + bytes(range(128, 256)) + b"\n\xff\xfe\n",
         1700000006, b"r\xe9sum\xe9@example.org", None),
        ("CRLF", b"Return-Path: <crlf@example.org>\r\nSubject: crlf\r\n\r\nFrom here\r\n>From there\r\n\r\n", 1700000006, b"crlf@example.org", "S"),
        ("blank lines at the end", b"Subject: blanks\n\nbody\n\n\n", 1700000009, b"MAILER-DAEMON", None),
        ("return-path case and spacing", b"return-path:\t<carol@example.org>\nX: y\n\nz\n", 1700000010, b"carol@example.org", None),
        ("sender with blanks", b"Return-Path: <\"a b\"@example.org>\n\nz\n", 1700000011, b"\"a_b\"@example.org", None),
        ("name without time", b"Subject: mtime\n\nz\n", None, b"MAILER-DAEMON", None),
    ]
    paths = []
    for name, data, t, sender, flags in cases:
        p = deliver(md, mdpath, data, t if t is not None else 0, flags)
        if t is None:  # a name that does not start with a number: the mtime is the delivery time
            q = os.path.join(os.path.dirname(p), "nonumber")
            os.rename(p, q)
            os.utime(q, (1600000000, 1600000000))
            p = q
        ok(open(p, "rb").read() == data, "mailbox.Maildir stored %s unchanged" % name)
        paths.append(p)
    md.close()

    # an existing mbox, written by Python's own mbox code
    box = mailbox.mbox(mbox, create=True)
    for i in range(2):
        m = mailbox.mboxMessage(b"Subject: old %d\n\nFrom old body\n" % i)
        m.set_from("old@example.org", time.gmtime(1500000000 + i))
        box.add(m)
    box.close()
    old = open(mbox, "rb").read()
    os.chmod(mbox, 0o640)

    rc, out, err = run(["maildir2mbox"], env=env(mdpath, mbox))
    is_(rc, 0, "maildir2mbox exits 0")
    is_(err, b"", "nothing on stderr")
    new = open(mbox, "rb").read()
    ok(new.startswith(old), "the old mbox is kept byte for byte at the start")
    is_(os.stat(mbox).st_mode & 0o777, 0o640, "the mbox keeps its mode")
    msgs = read_mbox(mbox)
    is_(len(msgs), 2 + len(cases), "old messages plus every Maildir message")
    is_([b for _, b in msgs[:2]], [b"Subject: old 0\n\n>From old body\n", b"Subject: old 1\n\n>From old body\n"],
        "old messages read back unchanged")
    # expected order: delivery time, then name (the mtime case sorts first, at 1600000000)
    order = sorted(range(len(cases)), key=lambda i: (cases[i][2] if cases[i][2] is not None else 1600000000, os.path.basename(paths[i])))
    got_subjects = [b.split(b"\n", 1)[0] for _, b in msgs[2:]]
    want_subjects = [mboxrd(cases[i][1]).split(b"\n", 1)[0] for i in order]
    is_(got_subjects, want_subjects, "messages in delivery-time order, ties by name")
    for pos, i in enumerate(order):
        name, data, t, sender, flags = cases[i]
        frm, body = msgs[2 + pos]
        ok(body == mboxrd(data), "%s: byte for byte after mboxrd quoting" % name,
           "lengths got %d want %d" % (len(body), len(mboxrd(data))))
        is_(frm, from_line(sender, t if t is not None else 1600000000), "%s: From_ line sender and date" % name)
    is_(sorted(os.listdir(os.path.join(mdpath, "new")) + os.listdir(os.path.join(mdpath, "cur"))), [],
        "the Maildir is empty afterwards")
    ok(not os.path.exists(mbox + ".tmp"), "no temporary file left")

    # nothing to do: no change at all, not even a new mbox
    before = snapshot(d)
    rc, out, err = run(["maildir2mbox"], env=env(mdpath, mbox))
    ok(rc == 0 and err == b"" and snapshot(d) == before, "empty Maildir: exit 0, nothing changed")
    fresh = os.path.join(d, "fresh")
    rc, out, err = run(["maildir2mbox"], env=env(mdpath, fresh))
    ok(rc == 0 and not os.path.exists(fresh), "empty Maildir: no mbox created")


def new_mbox():
    d = scratch()
    mdpath, mbox = os.path.join(d, "Maildir"), os.path.join(d, "sub", "mbox")
    os.mkdir(os.path.join(d, "sub"))
    md = maildir(mdpath)
    deliver(md, mdpath, b"Subject: one\n\nx", 1000)
    rc, out, err = run(["maildir2mbox"], env=env(mdpath, mbox))
    is_(rc, 0, "missing mbox: created")
    is_(os.stat(mbox).st_mode & 0o777, 0o600, "a new mbox has mode 0600")
    is_(open(mbox, "rb").read(), b"From MAILER-DAEMON Thu Jan  1 00:16:40 1970\nSubject: one\n\nx\n\n",
        "new mbox content, day padded like ctime")
    # an old mbox whose last line lacks its newline gets one before the first new message
    open(mbox, "ab").write(b"garbage without newline")
    deliver(md, mdpath, b"Subject: two\n\ny\n", 2000)
    rc, out, err = run(["maildir2mbox"], env=env(mdpath, mbox))
    ok(rc == 0 and open(mbox, "rb").read().endswith(b"garbage without newline\nFrom MAILER-DAEMON Thu Jan  1 00:33:20 1970\nSubject: two\n\ny\n\n"),
       "a newline completes an old mbox before the new messages")
    # a stale $MAILTMP from a crashed run is replaced
    deliver(md, mdpath, b"Subject: three\n\nz\n", 3000)
    open(mbox + ".tmp", "wb").write(b"stale")
    rc, out, err = run(["maildir2mbox"], env=env(mdpath, mbox))
    ok(rc == 0 and not os.path.exists(mbox + ".tmp") and read_mbox(mbox)[-1][1] == b"Subject: three\n\nz\n",
       "a stale $MAILTMP is replaced")


# ---------------------------------------------------------------- bad input: nothing lost
def failing(name, mdpath, e, want_rc, want_err, check_paths, tmp_made=True):
    """Run with env e; the exit code and message must match, and no file under check_paths may
    change (the Maildir still holds every message, $MAIL is unchanged). If maildir2mbox could
    have made $MAILTMP (tmp_made), it must be gone."""
    before = snapshot(*check_paths)
    rc, out, err = run(["maildir2mbox"], env=e)
    is_(rc, want_rc, "%s: exit %d" % (name, want_rc))
    ok(re.search(want_err, err.decode("utf-8", "replace")), "%s: clear message" % name, err)
    ok(snapshot(*check_paths) == before, "%s: not one message lost, $MAIL unchanged" % name)
    if tmp_made and e.get("MAILTMP"):
        ok(not os.path.lexists(e["MAILTMP"]), "%s: no temporary file left" % name)


def setup(d, n=3):
    mdpath, mbox = os.path.join(d, "Maildir"), os.path.join(d, "mbox")
    md = maildir(mdpath)
    for i in range(n):
        deliver(md, mdpath, b"Subject: %d\n\nbody %d\n" % (i, i), 1000 + i, "S" if i % 2 else None)
    open(mbox, "wb").write(b"From x Thu Jan  1 00:00:00 1970\nold\n\n")
    return mdpath, mbox


def bad_input():
    d = scratch()
    mdpath, mbox = setup(d)
    keep = [mdpath, mbox]
    failing("missing $MAILDIR directory", mdpath, env(os.path.join(d, "absent"), mbox), 111,
            r"^maildir2mbox: fatal: unable to open Maildir .*absent: No such file or directory\n$", keep)
    notmd = os.path.join(d, "notmd")
    os.makedirs(os.path.join(notmd, "new"))
    open(os.path.join(notmd, "new", "1.x"), "w").write("x\n")
    failing("non-Maildir $MAILDIR", mdpath, env(notmd, mbox), 111,
            r"^maildir2mbox: fatal: \$MAILDIR is not a Maildir: .*notmd: no tmp/ subdirectory\n$", keep + [notmd])
    for var in ("MAILDIR", "MAIL", "MAILTMP"):
        e = env(mdpath, mbox)
        del e[var]
        saved = os.environ.pop(var, None)
        failing("$%s not set" % var, mdpath, e, 111,
                r"^maildir2mbox: fatal: environment variable %s is not set\n$" % var, keep)
        if saved is not None:
            os.environ[var] = saved
    failing("unwritable $MAILTMP (a directory)", mdpath, env(mdpath, mbox, os.path.join(d, "Maildir")), 111,
            r"unable to remove stale .*Maildir: Is a directory", keep, tmp_made=False)
    failing("$MAILTMP under a regular file", mdpath, env(mdpath, mbox, os.path.join(mbox, "tmp")), 111,
            r"unable to .*mbox/tmp: Not a directory", keep, tmp_made=False)
    failing("$MAILTMP is $MAIL", mdpath, env(mdpath, mbox, mbox), 111,
            r"\$MAILTMP and \$MAIL are the same file", keep, tmp_made=False)
    os.symlink(mbox, os.path.join(d, "link"))
    failing("$MAIL is a symbolic link", mdpath, env(mdpath, os.path.join(d, "link")), 111,
            r"unable to open .*link: Too many levels of symbolic links", keep)
    if os.stat("/dev/shm").st_dev != os.stat(d).st_dev and os.access("/dev/shm", os.W_OK):
        other = os.path.join("/dev/shm", "maildir2mbox-test.%d" % os.getpid())
        failing("$MAILTMP on another file system", mdpath, env(mdpath, mbox, other), 111,
                r"unable to rename .* to .*mbox: Invalid cross-device link", keep)
        ok(not os.path.exists(other), "cross-device: temporary file removed")
    else:
        ok(True, "# skip no second file system at /dev/shm")

    if not ROOT:
        ro = os.path.join(d, "ro")
        os.mkdir(ro)
        robox = os.path.join(ro, "mbox")
        open(robox, "wb").write(b"From x Thu Jan  1 00:00:00 1970\nold\n\n")
        os.chmod(ro, 0o500)
        failing("$MAIL in a read-only directory", mdpath, env(mdpath, robox), 111,
                r"unable to create .*ro/mbox.tmp: Permission denied", keep + [ro])
        os.chmod(ro, 0o700)
        msg = sorted(os.listdir(os.path.join(mdpath, "new")))[0]
        p = os.path.join(mdpath, "new", msg)
        os.chmod(p, 0)
        before = snapshot(os.path.join(mdpath, "cur"), mbox)
        rc, out, err = run(["maildir2mbox"], env=env(mdpath, mbox))
        os.chmod(p, 0o600)
        ok(rc == 111 and re.search(rb"unable to open .*" + msg.encode() + rb": Permission denied", err),
           "unreadable message: 111 naming it", err)
        ok(snapshot(os.path.join(mdpath, "cur"), mbox) == before and os.path.exists(p), "unreadable message: nothing lost")
    else:
        for _ in range(2):
            ok(True, "# skip permission checks: root ignores permissions")
    ok(len(os.listdir(os.path.join(mdpath, "new"))) + len(os.listdir(os.path.join(mdpath, "cur"))) == 3,
       "all three messages still in the Maildir")
    rc, out, err = run(["maildir2mbox"], env=env(mdpath, mbox))
    ok(rc == 0 and len(read_mbox(mbox)) == 4, "after all the failures, a good run moves everything")


def tiny_filesystems():
    """As root: a 64 KiB tmpfs for a full disk, and a read-only remount."""
    if not ROOT:
        ok(True, "# skip full disk and read-only file system: need root to mount a tmpfs")
        return
    d = scratch()
    mdpath, _ = setup(d, 0)
    md = maildir(mdpath)
    for i in range(4):
        deliver(md, mdpath, b"Subject: %d\n\n" % i + b"y" * 40000 + b"\n", 2000 + i)
    mnt = os.path.join(d, "mnt")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mnt],
                      capture_output=True).returncode != 0:
        ok(True, "# skip cannot mount a tmpfs here")
        return
    try:
        mbox = os.path.join(mnt, "mbox")
        open(mbox, "wb").write(b"From x Thu Jan  1 00:00:00 1970\nold\n\n")
        failing("full disk", mdpath, env(mdpath, mbox), 111,
                r"unable to (write to|fsync|close) .*mnt/mbox.tmp: No space left on device", [mdpath, mbox])
        ok(os.listdir(mnt) == ["mbox"], "full disk: temporary file removed")
        subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
        failing("read-only file system", mdpath, env(mdpath, mbox), 111,
                r"unable to open .*mnt/mbox: Read-only file system", [mdpath, mbox])
    finally:
        subprocess.run(["umount", mnt])


# ---------------------------------------------------------------- locking
def wait_exit(p, seconds):
    try:
        return p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


def locking():
    d = scratch()
    mdpath, mbox = setup(d, 2)
    e = dict(os.environ)
    e.update(env(mdpath, mbox))
    holder = open(mbox, "r+b")
    fcntl.lockf(holder, fcntl.LOCK_EX)
    p = subprocess.Popen(["maildir2mbox"], env=e, stderr=subprocess.PIPE)
    ok(wait_exit(p, 1.5) is None, "maildir2mbox has not finished while $MAIL is locked")
    is_(len(read_mbox(mbox)), 1, "$MAIL unchanged while locked")
    fcntl.lockf(holder, fcntl.LOCK_UN)
    holder.close()
    rc = wait_exit(p, 30)
    p.stderr.close()
    is_(rc, 0, "finished after the lock was released")
    is_(len(read_mbox(mbox)), 3, "messages appended after the wait")

    # While it waits, $MAIL is replaced (as maildir2mbox itself does): it must notice that the
    # inode it locked is no longer $MAIL, and append to the new file.
    # Also, a message taken by another reader while maildir2mbox waits (after its scan) is skipped.
    md = maildir(mdpath)
    deliver(md, mdpath, b"Subject: after replace\n\nz\n", 5000)
    taken = deliver(md, mdpath, b"Subject: taken\n\nz\n", 6000, "S")
    holder = open(mbox, "r+b")
    fcntl.lockf(holder, fcntl.LOCK_EX)
    p = subprocess.Popen(["maildir2mbox"], env=e, stderr=subprocess.PIPE)
    ok(wait_exit(p, 1.5) is None, "waiting again")
    os.unlink(taken)
    repl = mbox + ".new"
    open(repl, "wb").write(b"From replaced Thu Jan  1 00:00:00 1970\nreplacement\n\n")
    os.rename(repl, mbox)
    fcntl.lockf(holder, fcntl.LOCK_UN)
    holder.close()
    rc = wait_exit(p, 30)
    p.stderr.close()
    is_(rc, 0, "finished after the replacement and the vanished message")
    msgs = read_mbox(mbox)
    is_([b for _, b in msgs], [b"replacement\n", b"Subject: after replace\n\nz\n"],
        "appended to the file now at $MAIL, not to the replaced one; the vanished message skipped")


conversion()
new_mbox()
bad_input()
tiny_filesystems()
locking()
done()
