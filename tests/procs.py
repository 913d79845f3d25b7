"""procs.py: which processes run programs from a given bin/ directory (stdlib only, no side
effects on import: shared by the tests and bench/)."""
import os


def programs(bindir):
    """{pid: program name} of the running processes whose executable lives in bindir."""
    out = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                exe = os.readlink("/proc/%s/exe" % p)
            except OSError:
                continue
            if exe.startswith(bindir + "/"):
                out[int(p)] = os.path.basename(exe)
    return out
