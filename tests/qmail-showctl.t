#!/usr/bin/env python3
"""qmail-showctl: values from files, defaults, control/me fallbacks, environment overrides,
lists, file presence, unknown files, and a malformed number."""
import os, re, subprocess
import tap

home = tap.scratch()
os.mkdir(os.path.join(home, "control"))
def put(name, text):
    with open(os.path.join(home, "control", name), "w") as f:
        f.write(text)
put("me", "mx.example.org\n")
put("rcpthosts", "example.org\n.example.net\n# comment\n\n" + "".join("h%d.test\n" % i for i in range(8)))
put("databytes", "5000\n")
put("concurrencyremote", "35\n")
put("servercert.pem", "x" * 100)
put("rcpthost", "typo.example\n")

def run(env=None):
    e = dict(os.environ, QMAILHOME=home)
    for k in ("DATABYTES", "SMTPGREETING", "QMAILDEFAULTDOMAIN", "DEFAULTDOMAIN"):
        e.pop(k, None)
    e.update(env or {})
    return subprocess.run(["qmail-showctl"], capture_output=True, text=True, env=e, timeout=30)

p = run()
out = p.stdout
tap.is_(p.returncode, 0, "exit 0", p.stderr)
tap.ok(out.startswith("qmail home: %s (from $QMAILHOME)\n" % home), "the home and where it comes from", out[:200])
def line(name):
    m = re.search(r"^%s: (.*)\n    (.*)$" % re.escape(name), out, re.M)
    return m.groups() if m else (None, None)
tap.is_(line("me")[0], "mx.example.org (control/me)", "a file's value")
tap.is_(line("concurrencyremote")[0], "35 (control/concurrencyremote)", "a number from its file")
tap.is_(line("concurrencylocal")[0], "10 (default)", "a default number")
tap.is_(line("bouncehost")[0], "mx.example.org (default: control/me, else localhost)", "control/me as the default")
tap.is_(line("databytes")[0], "5000 (control/databytes)", "databytes from the file")
tap.ok("override $DATABYTES" in line("databytes")[1], "the override variable is named", line("databytes")[1])
tap.ok(line("rcpthosts")[0].startswith("10 entries: example.org, .example.net, h0.test"), "a list: count and first entries", line("rcpthosts")[0])
tap.ok(line("rcpthosts")[0].endswith(", ..."), "long lists are cut")
tap.is_(line("locals")[0], "0 entries (no file)", "a missing list")
tap.is_(line("servercert.pem")[0], "present, 100 bytes, mode 0644", "a file's presence")
tap.is_(line("serverkey.pem")[0], "absent", "an absent file")
tap.ok(re.search(r"no program reads \(a typo\?\):\n  rcpthost\n", out), "an unknown file is pointed out", out[-300:])
p = run({"DATABYTES": "77", "SMTPGREETING": "hello there", "QMAILDEFAULTDOMAIN": "q.example"})
out = p.stdout
tap.is_(line("databytes")[0], "77 (from $DATABYTES)", "the environment wins")
tap.is_(line("smtpgreeting")[0], "hello there (from $SMTPGREETING)", "a line from the environment")
tap.is_(line("defaultdomain")[0], "q.example (from $QMAILDEFAULTDOMAIN)", "qmail-inject's own variable")
put("databytes", "lots\n")
p = run()
tap.ok(p.returncode == 111 and "databytes" in p.stderr, "a malformed number: 111 naming the file", p.stderr)
tap.done()
