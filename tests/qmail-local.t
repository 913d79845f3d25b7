#!/usr/bin/env python3
"""qmail-local end to end: real homes, .qmail files and mailboxes, read back with Python's
mailbox module; programs, forwards through a fake qmail-queue, the -default walk, loop
detection, permission checks, -n. As root, the deliveries run as the user qmtestu."""
import fcntl, mailbox, os, re, resource, signal, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap
from qlocal import World, ROOT

w = World()
USER = w.pw.pw_name
MSG = b"From: a@example.net\nSubject: test\n\nFrom the start\n>From quoted\nbody\n"


def local(home, local="joe", dash="", ext="", sender="a@example.net", dd="./Mailbox\n", domain="example.org",
          message=MSG, env=None, opts=(), **kw):
    w.give(home)
    w.qqreset()
    return w.run(["qmail-local"] + list(opts) + [USER, home, local, dash, ext, domain, sender, dd], message, env, **kw)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def newfiles(md):
    return sorted(os.listdir(os.path.join(md, "new")))


# --- Maildir -------------------------------------------------------------------------------
h = w.home()
md = w.maildir(os.path.join(h, "Maildir"))
w.file(os.path.join(h, ".qmail"), "./Maildir/\n")
rc, out, err = local(h)
tap.is_((rc, out), (0, b"did 1+0+0\n"), "Maildir: exit 0 and did 1+0+0")
names = newfiles(md)
tap.is_(len(names), 1, "Maildir: one file in new/")
tap.is_(os.listdir(os.path.join(md, "tmp")), [], "Maildir: nothing left in tmp/")
want = b"Return-Path: <a@example.net>\nDelivered-To: joe@example.org\n" + MSG
data = read(os.path.join(md, "new", names[0])) if names else b""
tap.is_(data, want, "Maildir: Return-Path, Delivered-To, then the message byte for byte")
m = re.match(r"^(\d+)\.M(\d+)P(\d+)\.([^,]+),S=(\d+)$", names[0] if names else "")
tap.ok(m and abs(int(m.group(1)) - time.time()) < 300, "Maildir: name is time.MusecPpid.host,S=size", names)
tap.is_(int(m.group(5)) if m else -1, len(want), "Maildir: ,S= is the file's size")
box = mailbox.Maildir(md, factory=None, create=False)
msgs = list(box)
tap.ok(len(msgs) == 1 and msgs[0]["Return-Path"] == "<a@example.net>" and msgs[0]["Delivered-To"] == "joe@example.org",
       "Maildir: Python's mailbox.Maildir reads the added headers")
rc, out, err = local(h, sender="")
tap.is_(len(newfiles(md)), 2, "Maildir: a second delivery is a second file")
tap.ok(any(read(os.path.join(md, "new", n)).startswith(b"Return-Path: <>\n") for n in newfiles(md)),
       "Maildir: empty sender gives Return-Path: <>")

h = w.home()
os.mkdir(os.path.join(h, "Maildir"))
os.mkdir(os.path.join(h, "Maildir", "new"))
w.file(os.path.join(h, ".qmail"), "./Maildir/\n")
rc, out, err = local(h)
tap.is_(rc, 111, "Maildir without tmp/: temporary failure")
tap.ok(b"Maildir/tmp/" in err, "and says which file it could not create", err)

# --- mbox --------------------------------------------------------------------------------
h = w.home()
mb = os.path.join(h, "Mailbox")
old = b"From old@example.net Thu Jan  1 00:00:00 2026\nSubject: old\n\nold body\n\n"
w.file(mb, old, 0o600)
w.file(os.path.join(h, ".qmail"), "./Mailbox\n")
rc, out, err = local(h, message=MSG + b"From again\nno final newline")
tap.is_((rc, out), (0, b"did 1+0+0\n"), "mbox: exit 0 and did 1+0+0")
data = read(mb)
tap.ok(data.startswith(old), "mbox: existing content kept")
new = data[len(old):]
tap.ok(re.match(rb"^From a@example\.net (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \d{4}\n", new),
       "mbox: From_ line with sender and ctime date", new[:80])
body = new.split(b"\n", 1)[1] if b"\n" in new else b""
tap.is_(body, b"Return-Path: <a@example.net>\nDelivered-To: joe@example.org\n" + MSG.replace(b"\nFrom the", b"\n>From the")
        .replace(b"\n>From quoted", b"\n>>From quoted") + b">From again\nno final newline\n\n",
        "mbox: headers, >From quoting (mboxrd), final newline added, blank line after")
box = mailbox.mbox(mb, create=False)
tap.is_([x["Subject"] for x in box], ["old", "test"], "mbox: Python's mailbox.mbox sees both messages")
box.close()

h = w.home()
w.file(os.path.join(h, ".qmail"), "./Mailbox\n")
rc, out, err = local(h, sender="")
tap.ok(rc == 0 and read(os.path.join(h, "Mailbox")).startswith(b"From MAILER-DAEMON "), "mbox: empty sender is MAILER-DAEMON in the From_ line")
tap.is_(os.stat(os.path.join(h, "Mailbox")).st_mode & 0o777, 0o600, "mbox: a new mailbox is created mode 0600")

# the lock: qmail-local waits while another process holds an fcntl lock
h = w.home()
mb = w.file(os.path.join(h, "Mailbox"), b"", 0o600)
w.file(os.path.join(h, ".qmail"), "./Mailbox\n")
w.give(h)
w.qqreset()
with open(mb, "r+b") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    start = time.time()
    p = w.spawn(["qmail-local", USER, h, "joe", "", "", "example.org", "a@example.net", ""], MSG)
    time.sleep(1.5)
    tap.ok(p.poll() is None and os.path.getsize(mb) == 0, "mbox: waits while the mailbox is locked")
    fcntl.lockf(f, fcntl.LOCK_UN)
out, err = p.communicate(timeout=30)
tap.ok(p.returncode == 0 and time.time() - start >= 1.5 and os.path.getsize(mb) > len(MSG),
       "mbox: delivers once the lock is released", (p.returncode, err))

# a write error (file size limit) truncates the mailbox back to its old size
h = w.home()
mb = w.file(os.path.join(h, "Mailbox"), old, 0o600)
w.file(os.path.join(h, ".qmail"), "./Mailbox\n")


def limit():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(old) + 100, len(old) + 100))


rc, out, err = local(h, message=MSG + b"x" * 20000 + b"\n", preexec_fn=limit)
tap.is_(rc, 111, "mbox: a write error is a temporary failure")
tap.is_(read(mb), old, "mbox: and the mailbox is truncated back to what it was")

# --- programs -------------------------------------------------------------------------------
h = w.home()
w.file(os.path.join(h, ".qmail-list-default"), "|env -0 > env.out\n|cat > in1\n|cat > in2\n")
w.file(os.path.join(h, ".qmail-list-owner"), "./owner\n")
rc, out, err = local(h, local="joe-list-a-B.c", dash="-", ext="list-a-B.c", domain="mail.Example.org",
                    env={"DEFAULT": "stale"})
tap.is_((rc, out, err), (0, b"did 0+0+3\n", b""), "programs: three run, did 0+0+3")
env = dict(x.split(b"=", 1) for x in read(os.path.join(h, "env.out")).split(b"\0") if x)
want = {
    "SENDER": "a@example.net", "NEWSENDER": "a@example.net",  # .qmail-list-owner is not for list-a-B.c
    "RECIPIENT": "joe-list-a-B.c@mail.Example.org", "USER": USER, "HOME": h,
    "HOST": "mail.Example.org", "HOST2": "mail.Example", "HOST3": "mail", "HOST4": "mail",
    "LOCAL": "joe-list-a-B.c", "EXT": "list-a-B.c", "EXT2": "a-B.c", "EXT3": "B.c", "EXT4": "",
    "DEFAULT": "a-B.c",
    "DTLINE": "Delivered-To: joe-list-a-B.c@mail.Example.org\n",
    "RPLINE": "Return-Path: <a@example.net>\n",
}
for k, v in want.items():
    tap.is_(env.get(k.encode()), v.encode(), "programs: $%s" % k)
tap.ok(re.match(rb"^From a@example\.net [A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \d{4}\n$", env.get(b"UFLINE", b"")),
       "programs: $UFLINE", env.get(b"UFLINE"))
tap.ok(read(os.path.join(h, "in1")) == MSG and read(os.path.join(h, "in2")) == MSG,
       "programs: each gets the whole message on fd 0, from offset 0, nothing added")

h = w.home()
w.file(os.path.join(h, ".qmail"), "|echo first; exit 99\n./Mailbox\n|echo never\n")
rc, out, err = local(h)
tap.is_((rc, out), (0, b"first\ndid 0+0+1\n"), "exit 99: success, the rest of .qmail ignored, output relayed")
tap.ok(not os.path.exists(os.path.join(h, "Mailbox")), "exit 99: the mbox line was not delivered")

for code, want in ((100, 100), (111, 111), (64, 100), (65, 100), (70, 100), (76, 100), (77, 100), (78, 100),
                   (112, 100), (1, 111), (2, 111), (127, 111)):
    h = w.home()
    w.file(os.path.join(h, ".qmail"), "|echo says $0 >&2; exit %d\n./Mailbox\n" % code)
    rc, out, err = local(h)
    tap.ok(rc == want and b"says /bin/sh" in err and not os.path.exists(os.path.join(h, "Mailbox")),
           "program exit %d: qmail-local exits %d at once, program's words kept" % (code, want), (rc, err))
h = w.home()
w.file(os.path.join(h, ".qmail"), "|kill -9 $$\n")
rc, out, err = local(h)
tap.ok(rc == 111 and b"crashed" in err, "a program killed by a signal: temporary failure", (rc, err))

# --- forwards ------------------------------------------------------------------------------
h = w.home()
md = w.maildir(os.path.join(h, "Maildir"))
w.file(os.path.join(h, ".qmail"), "&one@example.com\n# comment\ntwo@example.net   \n./Maildir/\n")
rc, out, err = local(h)
saw = w.qqsaw()
tap.ok(rc == 0 and re.match(rb"^did 1\+2\+0\nqp \d+\n$", out), "forward: exit 0, did 1+2+0 and qp", (rc, out, err))
tap.is_(saw and saw[1], b"Fa@example.net\0Tone@example.com\0Ttwo@example.net\0\0", "forward: one envelope, sender and both targets")
tap.is_(saw and saw[0], b"Delivered-To: joe@example.org\n" + MSG, "forward: Delivered-To, then the message, no Return-Path")
tap.is_(len(newfiles(md)), 1, "forward: the Maildir line was delivered too")

for sender, files, want in (("", (), b"F\0"), ("#@[]", (".qmail-owner",), b"F#@[]\0"),
                            ("a@example.net", (".qmail-owner",), b"Fjoe-owner@example.org\0"),
                            ("a@example.net", (".qmail-owner", ".qmail-owner-default"), b"Fjoe-owner-@example.org-@[]\0")):
    h = w.home()
    w.file(os.path.join(h, ".qmail"), "&x@example.com\n")
    for f in files:
        w.file(os.path.join(h, f), "./owner\n")
    rc, out, err = local(h, sender=sender)
    saw = w.qqsaw()
    tap.ok(rc == 0 and saw and saw[1].startswith(want), "forward sender %r with %s" % (sender, files or "no owner"), saw)

for code, want in ((53, 111), (31, 100), (11, 100), (81, 111)):
    h = w.home()
    w.file(os.path.join(h, ".qmail"), "&x@example.com\n")
    rc, out, err = local(h, env={"QQ_EXIT": str(code)})
    tap.ok(rc == want and b"unable to forward" in err, "qmail-queue exit %d: qmail-local exits %d" % (code, want), (rc, err))
rc, out, err = local(h, env={"QQ_EXIT": "31", "QQ_NOREAD": "1"}, message=MSG + b"x" * 300000 + b"\n")
tap.ok(rc == 100 and b"permanently rejected" in err, "qmail-queue refusing without reading a big message: 100", (rc, err))
rc, out, err = local(h, env={"QMAILQUEUE": os.path.join(w.top, "nonexistent")})
tap.is_(rc, 111, "qmail-queue missing: temporary failure")

# --- finding the .qmail ----------------------------------------------------------------------
def which(files, ext, dash="-"):
    """Deliver to joe-EXT; the program of the chosen file reports its name and $DEFAULT."""
    h = w.home()
    for f in files:
        w.file(os.path.join(h, f), "|echo %s ${DEFAULT-unset}\n" % f)
    rc, out, err = local(h, local="joe" + dash + ext, dash=dash, ext=ext)
    return rc, out.split(b"\n")[0].decode(), err


tap.is_(which([".qmail-a-b-c", ".qmail-a-b-default", ".qmail-default"], "a-b-c")[1], ".qmail-a-b-c unset", "exact .qmail-ext first")
tap.is_(which([".qmail-a-b-default", ".qmail-a-default", ".qmail-default"], "a-b-c")[1], ".qmail-a-b-default c", "then .qmail-a-b-default, DEFAULT c")
tap.is_(which([".qmail-a-default", ".qmail-default"], "a-b-c")[1], ".qmail-a-default b-c", "then .qmail-a-default, DEFAULT b-c")
tap.is_(which([".qmail-default"], "a-b-c")[1], ".qmail-default a-b-c", "then .qmail-default, DEFAULT a-b-c")
tap.is_(which([".qmail-a-b-c-default", ".qmail-default"], "a-b-c")[1], ".qmail-default a-b-c", ".qmail-ext-default is not tried (dot-qmail(5))")
tap.is_(which([".qmail-foo"], "FoO")[1], ".qmail-foo unset", "extension matched case-insensitively")
tap.is_(which([".qmail-foo-default"], "Foo-BAR")[1], ".qmail-foo-default BAR", "DEFAULT keeps the address's case")
tap.is_(which([".qmail-a:b"], "a.b")[1], ".qmail-a:b unset", "dots in the extension are colons in the file name")
tap.is_(which([".qmail-", ".qmail-default"], "")[1], ".qmail- unset", "joe- with empty extension: .qmail-")
rc, out, err = which([".qmail-other"], "a-b")
tap.ok(rc == 100 and b"Sorry, no mailbox here by that name. (#5.1.1)" in err, "no .qmail for an extension: 100, no mailbox", err)
rc, out, err = which([".qmail-default"], "", dash="")
tap.ok(rc == 0 and out == "did 1+0+0", "no extension: .qmail-default is not used", (rc, out, err))

h = w.home()
md = w.maildir(os.path.join(h, "Maildir"))
rc, out, err = local(h, dd="./Maildir/\n./Mailbox\n")
tap.ok(rc == 0 and out == b"did 2+0+0\n" and len(newfiles(md)) == 1 and os.path.exists(os.path.join(h, "Mailbox")),
       "no .qmail: every line of defaultdelivery", (rc, out, err))
h = w.home()
w.file(os.path.join(h, ".qmail"), "")
rc, out, err = local(h, dd="./Mailbox")
tap.ok(rc == 0 and os.path.exists(os.path.join(h, "Mailbox")), "empty .qmail: defaultdelivery", (rc, out, err))

# --- loops ---------------------------------------------------------------------------------
h = w.home()
w.file(os.path.join(h, ".qmail"), "./Mailbox\n")
for hdr, want, name in ((b"Delivered-To: joe@example.org\n", 100, "our Delivered-To line"),
                        (b"DELIVERED-TO: joe@example.org\n", 100, "our Delivered-To line, field name in capitals"),
                        (b"Delivered-To: other@example.org\n", 0, "another address's Delivered-To"),
                        (b"Delivered-To: joe@example.org.\n", 0, "a longer address")):
    rc, out, err = local(h, message=b"Received: x\n" + hdr + MSG)
    tap.ok(rc == want and (want == 0 or b"This message is looping: it already has my Delivered-To line. (#5.4.6)" in err),
           "loop check: %s gives %d" % (name, want), (rc, err))
rc, out, err = local(h, message=MSG + b"Delivered-To: joe@example.org\n")
tap.is_(rc, 0, "loop check: a Delivered-To line in the body does not count")

# --- safety checks ---------------------------------------------------------------------------
for mode, words, name in ((0o775, b"home directory is writable", "group-writable home"),
                          (0o757, b"home directory is writable", "world-writable home"),
                          (0o1755, b"Home directory is sticky: user is editing his .qmail file. (#4.2.1)", "sticky home")):
    h = w.home()
    w.file(os.path.join(h, ".qmail"), "./Mailbox\n")
    w.give(h)
    os.chmod(h, mode)
    rc, out, err = local(h)
    tap.ok(rc == 111 and words in err and not os.path.exists(os.path.join(h, "Mailbox")), name + ": 111", (rc, err))
for mode, words, name in ((0o664, b".qmail file is writable", "group-writable .qmail"),
                          (0o646, b".qmail file is writable", "world-writable .qmail"),
                          (0o000, b"unable to open .qmail", "unreadable .qmail"),
                          (0o744, b"has file delivery but has x bit set", ".qmail with x bit and an mbox line")):
    h = w.home()
    w.file(os.path.join(h, ".qmail"), "./Mailbox\n", mode)
    rc, out, err = local(h)
    tap.ok(rc == 111 and words in err and not os.path.exists(os.path.join(h, "Mailbox")), name + ": 111", (rc, err))
h = w.home()
w.file(os.path.join(h, ".qmail"), "|true\n", 0o744)
rc, out, err = local(h)
tap.ok(rc == 111 and b"has prog delivery but has x bit set" in err, ".qmail with x bit and a program line: 111", (rc, err))
h = w.home()
w.file(os.path.join(h, ".qmail"), "&x@example.com\n", 0o744)
rc, out, err = local(h)
tap.is_(rc, 0, ".qmail with x bit and only forwards: delivered")

# --- -n ------------------------------------------------------------------------------------
h = w.home()
w.file(os.path.join(h, ".qmail"), "# comment\n\n|preline prog arg\n&a@example.com\nb@example.com\n./Mailbox\n/var/mail/x/\n")
rc, out, err = local(h, opts=["-n"], message=b"")
tap.is_((rc, out, err), (0, b"program preline prog arg\nforward a@example.com\nforward b@example.com\nmbox ./Mailbox\nmaildir /var/mail/x/\n", b""),
        "-n: each instruction described, nothing delivered")
tap.ok(not os.path.exists(os.path.join(h, "Mailbox")) and w.qqsaw() is None, "-n: no mailbox written, nothing queued")

# --- usage and root --------------------------------------------------------------------------
rc, out, err = w.run(["qmail-local", USER, "relative", "joe", "", "", "example.org", "", "./Mailbox"])
tap.ok(rc == 100 and b"absolute" in err, "a relative homedir is refused", err)
h = w.home()
w.file(os.path.join(h, ".qmail"), "./Mailbox\n")
if ROOT:
    p = subprocess.run([os.path.join(w.bin, "qmail-local"), "root", h, "joe", "", "", "example.org", "", "./Mailbox"],
                       stdin=subprocess.DEVNULL, capture_output=True)
    tap.ok(p.returncode == 111 and b"root" in p.stderr and not os.path.exists(os.path.join(h, "Mailbox")),
           "refuses to run as root", p.stderr)
else:
    print("ok %d # skip refusing root needs root" % (tap._n + 1))
    tap._n += 1
tap.done()
