#!/usr/bin/env python3
"""TLS and SMTP AUTH: qmail-tls in front of qmail-smtpd under tcpserver, with a certificate made
here. swaks --tls, --tls-on-connect and --auth, smtplib starttls() and login(), openssl
s_client; the STARTTLS command-injection class (CVE-2011-0411); AUTH before STARTTLS, wrong
passwords, relaying without AUTH, submission with AUTH required; the Received line. AUTH is
checked by the real qmail-checkpw /bin/true against users/pop3passwd.cdb (qmail-newpop3):
"demo" with a SHA-512 crypt(3) hash, "plain" stored {plain}; both map to the instance's uid,
since qmail-checkpw not running as root accepts only its own uid."""
import os, re, smtplib, socket, ssl, subprocess
import tap
from instance import Instance, wait_for
from smtpdlib import Smtpd, Raw, fake_queue, fake_results

RULES = '127.0.0.2:allow,AUTHREQUIRED="1"\n127.0.0.3:allow,AUTHNOTLS="1"\n127.0.0.4:allow,TIMEOUTSMTPD="1"\n:allow\n'
inst = Instance(control={"rcpthosts": "localhost\n"})
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-keyout", os.path.join(inst.home, "control", "serverkey.pem"),
                "-out", os.path.join(inst.home, "control", "servercert.pem")], check=True, capture_output=True)
SHA512 = subprocess.run(["openssl", "passwd", "-6", "-salt", "tlstestsalt", "s3cret pass"],
                        capture_output=True, check=True).stdout.decode().strip()
inst.put("users/pop3passwd", "demo:%s:%d:%d:%s\nplain:{plain}pl41n:%d:%d:%s\n"
         % (SHA512, inst.pw.pw_uid, inst.pw.pw_gid, inst.demo, inst.pw.pw_uid, inst.pw.pw_gid, inst.demo), mode=0o600)
inst.give()
p = inst.run(["qmail-newpop3"])
assert p.returncode == 0, p.stderr
checkpw = os.path.join(inst.bin, "qmail-checkpw")
os.chmod(os.path.join(inst.home, "control", "serverkey.pem"), 0o600)
qq, qqdir = fake_queue(inst)
tls = os.path.join(inst.bin, "qmail-tls")
smtpd = [os.path.join(inst.bin, "qmail-smtpd"), checkpw, "/bin/true"]
srv = Smtpd(inst, RULES, env={"QMAILQUEUE": qq}, name="starttls", prog=[tls, "-s"] + smtpd)
smtps = Smtpd(inst, ":allow\n", env={"QMAILQUEUE": qq}, name="smtps", prog=[tls, "-s", "-i"] + smtpd)
plain = Smtpd(inst, RULES, env={"QMAILQUEUE": qq}, name="plain", prog=smtpd)
AUTH = ["--auth-user", "demo", "--auth-password", "s3cret pass"]


def swaks(server, *args):
    p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % server.port, "--helo", "swaks.test",
                        "--from", "me@example.org"] + list(args), capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def last():
    r = fake_results(qqdir)
    return r[-1] if r else (b"", [])


code, out = swaks(srv, "--to", "demo@localhost", "--tls")
tap.is_(code, 0, "swaks --tls: STARTTLS and a message", out)
tap.ok(re.search(r"^<-  250[- ]STARTTLS", out, re.M), "STARTTLS is offered before TLS", out)
tap.ok(not re.search(r"^<~  250[- ]STARTTLS", out, re.M), "and not after", out)
tap.ok("AUTH PLAIN LOGIN" not in out.split("STARTTLS")[0], "AUTH is not offered before TLS")
msg = last()[0].decode(errors="replace")
tap.ok(re.search(r"with ESMTPS \(TLSv1\.[23] [A-Z0-9_-]+\);", msg), "Received: ESMTPS with version and cipher (RFC 3848)", msg[:400])
tap.ok(re.search(r"TLS started: TLSv1\.[23] ", srv.logtext()), "the log names the TLS version and cipher")

code, out = swaks(srv, "--to", "someone@example.com", "--tls", "--auth", "PLAIN", *AUTH)
tap.is_(code, 0, "swaks --tls --auth PLAIN: relaying after AUTH", out)
msg, env = last()
tap.is_(env, ["me@example.org", "someone@example.com"], "the relayed message was queued")
tap.ok(re.search(r"with ESMTPSA \(TLSv1\.[23] [A-Z0-9_-]+; authenticated as demo\);", msg.decode()),
       "Received: ESMTPSA and the user", msg[:400])
tap.ok(re.search(r"AUTH PLAIN ok: demo", srv.logtext()) and re.search(r"accepted message .* auth demo tls TLSv1", srv.logtext()),
       "the log names the user")
code, out = swaks(srv, "--to", "someone@example.com", "--tls", "--auth", "LOGIN", *AUTH)
tap.is_(code, 0, "swaks --auth LOGIN", out)
code, out = swaks(srv, "--to", "someone@example.com", "--tls", "--auth", "LOGIN", "--auth-user", "demo", "--auth-password", "s3cret pas")
tap.ok(code != 0 and "535 5.7.8" in out, "AUTH LOGIN with a wrong password: 535 5.7.8", out)
code, out = swaks(srv, "--to", "someone@example.com", "--tls", "--auth", "PLAIN", "--auth-user", "plain", "--auth-password", "pl41n")
tap.is_(code, 0, "AUTH PLAIN for a {plain} virtual user", out)
code, out = swaks(srv, "--to", "someone@example.com", "--tls", "--auth", "LOGIN", "--auth-user", "nobody-here", "--auth-password", "pl41n")
tap.ok(code != 0 and "535 5.7.8" in out, "an unknown user: 535 5.7.8", out)

code, out = swaks(srv, "--to", "someone@example.com", "--tls", "--auth", "PLAIN", "--auth-user", "demo", "--auth-password", "wrong")
tap.ok(code != 0 and "535 5.7.8" in out, "a wrong password: 535 5.7.8", out)
tap.ok("secret" not in srv.logtext() and "wrong" not in srv.logtext(), "no password in the log")
code, out = swaks(srv, "--to", "someone@example.com", "--tls")
tap.ok(code != 0 and "553 5.7.1" in out, "relaying without AUTH: 553 even over TLS", out)
code, out = swaks(plain, "--to", "someone@example.com", "--auth", "PLAIN", *AUTH)
tap.ok(code != 0 and not re.search(r"^<-  250[- ]AUTH", out, re.M), "port 25 without TLS: AUTH is not offered", out)
r = Raw("127.0.0.1", plain.port)
r.reply()
r.send("EHLO c\r\nAUTH PLAIN AGRlbW8AczNjcmV0IHBhc3M=\r\n")
got = r.replies(2)
tap.ok(got[1].startswith("538 5.7.11"), "AUTH without TLS: 538 5.7.11 encryption required", got)
r.close()
code, out = swaks(plain, "--to", "someone@example.com", "--auth", "PLAIN", "--local-interface", "127.0.0.3", *AUTH)
tap.is_(code, 0, "AUTHNOTLS=1 allows AUTH without TLS", out)
tap.ok(re.search(r"with ESMTPA \(authenticated as demo\);", last()[0].decode()), "Received: ESMTPA")

# smtplib
s = smtplib.SMTP("127.0.0.1", srv.port, timeout=20)
s.ehlo("py")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
tap.is_(s.starttls(context=ctx)[0], 220, "smtplib starttls()")
s.ehlo("py")
tap.ok(s.has_extn("auth") and "PLAIN" in s.esmtp_features.get("auth", ""), "AUTH offered after TLS", s.esmtp_features)
tap.is_(s.login("demo", "s3cret pass")[0], 235, "smtplib login()")
tap.is_(s.sendmail("py@example.org", ["far@example.net"], b"Subject: py\r\n\r\nvia smtplib\r\n"), {}, "and a relayed message")
tap.ok(isinstance(s.sock, ssl.SSLSocket) and s.sock.version() in ("TLSv1.2", "TLSv1.3"), "TLS 1.2 or 1.3", s.sock.version())
s.quit()

# submission: AUTH required before MAIL
r = Raw("127.0.0.1", srv.port, source="127.0.0.2")
r.reply()
r.send("EHLO c\r\nMAIL FROM:<a@example.org>\r\n")
got = r.replies(2)
tap.ok(got[1].startswith("530 5.7.0"), "AUTHREQUIRED: MAIL before AUTH gets 530 5.7.0", got)
r.close()
code, out = swaks(srv, "--to", "far@example.net", "--tls", "--auth", "LOGIN", "--local-interface", "127.0.0.2", *AUTH)
tap.is_(code, 0, "AUTHREQUIRED: with AUTH the message goes", out)

def starttls(name, source=None, after=""):
    """A raw session through EHLO and STARTTLS (with the commands of after pipelined behind
    it): the TLS socket and a file on it."""
    r = Raw("127.0.0.1", srv.port, source=source)
    r.reply()
    r.send("EHLO c\r\n")
    r.reply()
    r.send("STARTTLS\r\n" + after)
    tap.ok(r.reply().startswith("220 2.0.0"), name + "STARTTLS: 220")
    t = ctx.wrap_socket(r.s, server_hostname="localhost")
    t.settimeout(20)
    return t, t.makefile("rwb")

# CVE-2011-0411: commands sent with STARTTLS, before the handshake, are dropped
tls_sock, f = starttls("", after="MAIL FROM:<injected@evil.test>\r\nRCPT TO:<demo@localhost>\r\n")
f.write(b"RCPT TO:<demo@localhost>\r\n")
f.flush()
got = f.readline().decode()
tap.ok(got.startswith("503"), "a pipelined command sent before the handshake is not executed", got)
f.write(b"MAIL FROM:<a@example.org>\r\n")
f.flush()
got = f.readline().decode()
tap.ok(got.startswith("503 5.5.1"), "EHLO is required again after STARTTLS", got)
f.write(b"EHLO c\r\n")
f.flush()
lines = []
while True:
    l = f.readline().decode()
    lines.append(l)
    if l[3:4] != "-":
        break
tap.ok(not any("STARTTLS" in l for l in lines), "no STARTTLS in EHLO over TLS", lines)
f.write(b"STARTTLS\r\n")
f.flush()
tap.ok(f.readline().startswith(b"503"), "a second STARTTLS: 503")
tls_sock.close()

# the timeout after STARTTLS: qmail-smtpd then reads qmail-tls's pipes (lib/timedio's poll
# mode, where the plaintext socket had the kernel's SO_RCVTIMEO)
tls_sock, f = starttls("TIMEOUTSMTPD=1: ", source="127.0.0.4")
f.write(b"EHLO c\r\n")
f.flush()
while f.readline()[3:4] == b"-":
    pass
got = f.readline().decode(errors="replace")
tap.ok(got.startswith("421 4.4.2"), "TIMEOUTSMTPD=1: a silent client over TLS gets 421 after the timeout", got)
tls_sock.close()

# implicit TLS (SMTPS)
code, out = swaks(smtps, "--to", "demo@localhost", "--tls-on-connect")
tap.is_(code, 0, "swaks --tls-on-connect (SMTPS)", out)
tap.ok(re.search(r"with ESMTPS \(TLSv1\.[23] ", last()[0].decode()), "Received: ESMTPS over implicit TLS")

# openssl s_client
def s_client(*args, port=srv.port):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-starttls", "smtp"] + list(args),
                       input=b"QUIT\r\n", capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")

code, out = s_client("-brief")
tap.ok(code == 0 and re.search(r"Protocol version: TLSv1\.3", out), "openssl s_client -starttls smtp: TLS 1.3", out[-600:])
code, out = s_client("-brief", "-tls1_2")
tap.ok(code == 0 and "Protocol version: TLSv1.2" in out, "TLS 1.2 is accepted", out[-600:])
code, out = s_client("-brief", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
tap.ok("Protocol version: TLSv1.1" not in out and ("alert" in out or code != 0), "TLS 1.1 is refused", out[-600:])

# testssl.sh: the protocols on offer
p = subprocess.run(["testssl", "--quiet", "--color", "0", "--warnings", "off", "-p", "--starttls", "smtp",
                    "127.0.0.1:%d" % srv.port], capture_output=True, timeout=300)
out = p.stdout.decode(errors="replace")
for proto, want in (("SSLv2", "not offered"), ("SSLv3", "not offered"), ("TLS 1", "not offered"),
                    ("TLS 1.1", "not offered"), ("TLS 1.2", "offered"), ("TLS 1.3", "offered")):
    m = re.search(r"^ %s +(not offered|offered)" % re.escape(proto), out, re.M)
    tap.is_(m and m.group(1), want, "testssl.sh: %s %s" % (proto, want), out[-1500:])

# a client that says STARTTLS and then sends garbage
r = Raw("127.0.0.1", srv.port)
r.reply()
r.send("STARTTLS\r\n")
r.reply()
r.send("this is not a TLS client hello\r\n" * 4)
tap.ok(r.closed(), "a failed handshake ends the connection")
r.close()
tap.ok(wait_for(lambda: "TLS failed" in srv.logtext()), "and is logged", srv.logtext()[-500:])

# as root: qmail-tls reads a key only root may read, then drops to the service's uid
if os.geteuid() == 0:
    key = os.path.join(inst.home, "control", "serverkey.pem")
    os.chown(key, 0, 0)
    os.chmod(key, 0o600)
    port = __import__("smtpdlib").free_port()
    proc = subprocess.Popen(["tcpserver", "-R", "-H", "-l", "localhost", "127.0.0.1", str(port), tls, "-s",
                             "-u", str(inst.pw.pw_uid), "-g", str(inst.pw.pw_gid), os.path.join(inst.bin, "qmail-smtpd")],
                            env=inst.env({"QMAILQUEUE": qq}), cwd=inst.home, stderr=subprocess.DEVNULL)
    wait_for(lambda: subprocess.run(["ss", "-ltn", "sport = :%d" % port], capture_output=True, text=True).stdout.count("LISTEN"), 10)
    s = smtplib.SMTP("127.0.0.1", port, timeout=20)
    s.ehlo("root")
    s.starttls(context=ctx)
    s.ehlo("root")
    uids = {}
    for pid in os.listdir("/proc"):
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
            st = open("/proc/%s/status" % pid).read()
        except OSError:
            continue
        if exe.startswith(inst.bin):
            uids[os.path.basename(exe)] = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", st, re.M).groups()
    want = tuple([str(inst.pw.pw_uid)] * 4)
    tap.is_(uids.get("qmail-tls"), want, "root: qmail-tls runs as the service's uid after loading the key", uids)
    tap.is_(uids.get("qmail-smtpd"), want, "root: so does qmail-smtpd", uids)
    tap.is_(s.noop()[0], 250, "and the session works")
    s.quit()
    proc.terminate()
    proc.wait()
    r = subprocess.run([tls, "-s", "true"], capture_output=True, cwd=inst.home, env=inst.env(), timeout=20)
    tap.ok(r.returncode == 100 and b"refusing to run as root" in r.stderr, "as root without -u/-g or -U it refuses", r.stderr)

for x in (srv, smtps, plain):
    x.stop()
tap.done()
