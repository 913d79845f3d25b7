#!/usr/bin/env python3
"""STLS (RFC 2595) and POP3S: qmail-tls -s and -s -i in front of qmail-popup, qmail-checkpw
and qmail-pop3d under tcpserver, with a certificate made here. poplib stls() and POP3_SSL,
openssl s_client -starttls pop3 (TLS 1.2 and 1.3, not 1.1), fetchmail and mpop over STLS;
CAPA before and after; a second STLS, STLS after USER; commands injected with STLS
(CVE-2011-0411); pop3authnotls 0 refusing plaintext logins."""
import os, poplib, re, ssl, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap, pop3lib
from pop3lib import PASS1
from smtpdlib import Raw
from procs import programs
from instance import wait_for

s = pop3lib.Pop3Server()
tls = s.tls()
_, STLS = s.listen(prefix=tls)
_, POP3S = s.listen(prefix=tls + ["-i"])
_, STRICT = s.listen(env={"POP3AUTHNOTLS": "0"}, prefix=tls)
msgs = [pop3lib.message(i) for i in range(2)]
for m in msgs:
    s.deliver(m)
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def body(lines):
    return b"".join(l + b"\n" for l in lines)


def err(f, *args):
    """The -ERR text of a command poplib raises for, or None if it succeeded."""
    try:
        f(*args)
    except poplib.error_proto as e:
        return e.args[0].decode(errors="replace")
    return None


# poplib: CAPA, STLS, CAPA again, login, RETR
p = poplib.POP3("127.0.0.1", STLS, timeout=20)
capa = p.capa()
tap.ok("STLS" in capa and "USER" in capa, "CAPA before TLS lists STLS and USER", capa)
tap.ok(p.stls(context=CTX).startswith(b"+OK"), "poplib stls()")
tap.ok(p.sock.version() in ("TLSv1.2", "TLSv1.3"), "TLS 1.2 or 1.3", p.sock.version())
capa = p.capa()
tap.ok("STLS" not in capa and "USER" in capa, "CAPA over TLS: no STLS", capa)
e = err(p._shortcmd, "STLS")
tap.ok(e and e.startswith("-ERR"), "a second STLS: -ERR", e)
p.user("u1")
tap.ok(p.pass_(PASS1).startswith(b"+OK"), "login over TLS")
tap.is_(p.stat()[0], 2, "STAT over TLS (qmail-pop3d on qmail-tls's pipes)")
tap.is_(body(p.retr(1)[1]), msgs[0], "RETR over TLS: the message as delivered")
tap.is_(body(p.top(2, 0)[1]), msgs[1].split(b"\n\n")[0] + b"\n\n", "TOP over TLS")
if pop3lib.qlocal.ROOT:  # qmail-tls -u -g -P: as deployed, only qmail-tls drops to the service uid
    names = {}
    for pid, name in programs(s.bin).items():
        with open("/proc/%d/status" % pid) as st:
            names.setdefault(name, set()).add(re.search(r"^Uid:\s+(\d+)", st.read(), re.M).group(1))
    u = str(s.pw.pw_uid)
    tap.ok(names.get("qmail-tls") == {u} and names.get("qmail-popup") == {"0"} and names.get("qmail-pop3d") == {u},
           "root: qmail-tls -P runs as the service uid, qmail-popup stays root, qmail-pop3d is the user", names)
p.quit()
tap.ok(re.search(r"qmail-popup: info: TLS started from 127\.0\.0\.1: TLSv1\.[23] \S+", s.logtext()),
       "the log names the TLS version and cipher", s.logtext()[-800:])

# STLS after USER; STLS with an argument
r = Raw("127.0.0.1", STLS)
r.line()
r.send("USER u1\r\nSTLS\r\n")
got = [r.line(), r.line()]
tap.ok(got[1].startswith("-ERR"), "STLS after USER: -ERR", got)
r.send("STLS now\r\n")
tap.ok(r.line().startswith("-ERR"), "STLS with an argument: -ERR")
r.close()

# without qmail-tls: no STLS
p = poplib.POP3("127.0.0.1", s.port, timeout=20)
tap.ok("STLS" not in p.capa(), "without qmail-tls CAPA has no STLS")
e = err(p._shortcmd, "STLS")
tap.ok(e and e.startswith("-ERR"), "and STLS gets -ERR", e)
p.quit()

# a client that sends garbage instead of a ClientHello
r = Raw("127.0.0.1", STLS)
r.line()
r.send("STLS\r\n")
tap.is_(r.line(), "+OK begin TLS", "STLS before a bad handshake: +OK")
r.send("this is not a TLS client hello\r\n" * 4)
tap.ok(r.closed(), "a failed handshake ends the connection")
r.close()
tap.ok(wait_for(lambda: "qmail-popup: warning: TLS failed from 127.0.0.1" in s.logtext()), "and is logged", s.logtext()[-600:])

# commands sent together with STLS are dropped, not run over TLS (CVE-2011-0411)
r = Raw("127.0.0.1", STLS)
r.line()
r.send("STLS\r\nUSER u1\r\n")
tap.is_(r.line(), "+OK begin TLS", "STLS: +OK begin TLS")
t = CTX.wrap_socket(r.s, server_hostname="localhost")
t.settimeout(20)
f = t.makefile("rwb")
f.write(("PASS %s\r\n" % PASS1).encode())
f.flush()
got = f.readline().decode()
tap.ok(got.startswith("-ERR USER first"), "the USER injected before the handshake was not run", got)
f.write(("USER u1\r\nPASS %s\r\nSTAT\r\nQUIT\r\n" % PASS1).encode())
f.flush()
got = [f.readline().decode() for _ in range(4)]
tap.ok(got[0].startswith("+OK") and got[1].startswith("+OK") and got[2].startswith("+OK 2 "),
       "then a pipelined login over TLS works (what follows PASS reaches qmail-pop3d)", got)
t.close()

# POP3S: qmail-tls -s -i
p = poplib.POP3_SSL("127.0.0.1", POP3S, timeout=20, context=CTX)
capa = p.capa()
tap.ok("STLS" not in capa and "USER" in capa, "POP3S: CAPA has USER, no STLS", capa)
p.user("u1")
p.pass_(PASS1)
tap.is_(body(p.retr(2)[1]), msgs[1], "POP3S: RETR gives the message as delivered")
p.quit()
tap.ok(re.search(r"qmail-popup: info: TLS from 127\.0\.0\.1: TLSv1\.[23] ", s.logtext()), "POP3S: the log names the TLS version")

# pop3authnotls 0: no login without TLS
p = poplib.POP3("127.0.0.1", STRICT, timeout=20)
capa = p.capa()
tap.ok("STLS" in capa and "USER" not in capa, "pop3authnotls 0: CAPA offers STLS, not USER", capa)
e = err(p.user, "u1")
tap.ok(e and e.startswith("-ERR [AUTH] plaintext login refused"), "USER without TLS refused", e)
e = err(p.apop, "u1", PASS1)
tap.ok(e and e.startswith("-ERR [AUTH]"), "APOP without TLS refused", e)
p.stls(context=CTX)
tap.ok("USER" in p.capa(), "after STLS CAPA offers USER")
p.user("u1")
tap.ok(p.pass_(PASS1).startswith(b"+OK"), "and the login works")
p.quit()
tap.ok("plaintext login refused from 127.0.0.1" in s.logtext(), "the refusal is logged")


# openssl s_client
def s_client(*args):
    pr = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % STLS, "-starttls", "pop3", "-brief", "-ign_eof"] + list(args),
                        input=b"CAPA\r\nQUIT\r\n", capture_output=True, timeout=30)
    return pr.returncode, (pr.stdout + pr.stderr).decode(errors="replace")


code, out = s_client()
tap.ok(code == 0 and "Protocol version: TLSv1.3" in out and "IMPLEMENTATION qmail-popup" in out,
       "openssl s_client -starttls pop3: TLS 1.3", out[-600:])
code, out = s_client("-tls1_2")
tap.ok(code == 0 and "Protocol version: TLSv1.2" in out, "TLS 1.2 is accepted", out[-600:])
code, out = s_client("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
tap.ok("Protocol version: TLSv1.1" not in out and ("alert" in out or code != 0), "TLS 1.1 is refused", out[-600:])

# fetchmail and mpop over STLS
W = os.path.join(s.top, "clients")
os.mkdir(W, 0o700)
s.give(W)


def put(name, text):
    path = os.path.join(W, name)
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)
    s.give(path)
    return path


def run(argv):
    if pop3lib.qlocal.ROOT:
        argv = ["setpriv", "--reuid=%d" % s.pw.pw_uid, "--regid=%d" % s.pw.pw_gid, "--clear-groups", "--"] + argv
    pr = subprocess.run(argv, capture_output=True, env=dict(os.environ, HOME=W, LC_ALL="C"), cwd=W, timeout=60)
    return pr.returncode, (pr.stdout + pr.stderr).decode(errors="replace")


def ids(path):
    with open(path, "rb") as fh:
        return re.findall(rb"(?m)^Message-Id: <(\d+)@test>", fh.read())


out = put("fetchmail.out", "")
rc = put("fetchmailrc", """set no syslog
poll 127.0.0.1 service %d protocol pop3 auth password
  user "u1" there with password "%s" is "u1" here
  sslproto "tls1.2+" no sslcertck keep mda "/bin/sh -c 'cat >> %s'"
""" % (STRICT, PASS1, out))
code, text = run(["fetchmail", "-f", rc, "-i", os.path.join(W, "fetchids"), "--nosyslog", "--nodetach", "-v"])
tap.ok(code == 0 and ids(out) == [b"0", b"1"], "fetchmail over STLS (sslproto tls1.2+) fetches both messages",
       "exit %d\n%s" % (code, text[-1500:]))
tap.ok(re.search(r"STLS", text), "fetchmail used STLS", text[-1500:])
out = put("mpop.mbox", "")
rc = put("mpoprc", """defaults
tls on
tls_starttls on
tls_certcheck off
account default
host 127.0.0.1
port %d
user u1
password %s
auth user
delivery mbox %s
keep on
uidls_file %s
""" % (STRICT, PASS1, out, os.path.join(W, "mpop.uidls")))
code, text = run(["mpop", "-C", rc, "-d"])
tap.ok(code == 0 and ids(out) == [b"0", b"1"], "mpop with tls on (STLS) fetches both messages", "exit %d\n%s" % (code, text[-1500:]))
tap.ok("STLS" in text and "TLS session parameters" in text, "mpop used STLS", text[-1500:])
tap.is_(len(s.files()), 2, "the messages are still on the server")

s.stop()
tap.done()
