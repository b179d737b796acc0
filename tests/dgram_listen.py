#!/usr/bin/env python3
"""dgram_listen.py - a stand-in for a service manager's notification socket
or for syslog's /dev/log, for the shell tests (t1200).

    dgram_listen.py ADDRESS OUT SECONDS [MOUNTPOINT]

Binds an AF_UNIX datagram socket at ADDRESS (a path, or @NAME for the
abstract namespace, as NOTIFY_SOCKET spells it), creates OUT.ready, and
appends every datagram to OUT as one line ('\\n' inside it shown as '|').
With MOUNTPOINT, a datagram holding READY=1 is followed by a line saying
whether MOUNTPOINT was a mount right then and whether its `stats` could be
read: "at READY: mounted=yes stats=yes" (what "the mount is up" means).
Exits after a datagram holding STOPPING=1 (with MOUNTPOINT), or after
SECONDS.
"""
import os
import socket
import sys
import time


def check_mount(mnt):
    mounted = "yes" if os.path.ismount(mnt) else "no"
    try:
        with open(os.path.join(mnt, "stats"), "rb") as f:
            stats = "yes" if f.read().startswith(b"rows: ") else "no"
    except OSError:
        stats = "no"
    return "at READY: mounted=%s stats=%s" % (mounted, stats)


def main():
    addr, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    mnt = sys.argv[4] if len(sys.argv) > 4 else None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + addr[1:] if addr.startswith("@") else addr)
    open(out + ".ready", "w").close()
    end = time.monotonic() + seconds
    with open(out, "ab", buffering=0) as f:
        while time.monotonic() < end:
            sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                data = sock.recv(65536)
            except socket.timeout:
                break
            f.write(data.replace(b"\n", b"|") + b"\n")
            fields = data.split(b"\n")
            if mnt and b"READY=1" in fields:
                f.write(check_mount(mnt).encode() + b"\n")
            if mnt and b"STOPPING=1" in fields:
                break


main()
