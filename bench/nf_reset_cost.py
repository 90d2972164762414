#!/usr/bin/python3
"""bench/nf_reset_cost.py [ROUND_TRIPS] - the cost of the packet filter hook
(bpf/nf_reset.bpf.c), measured by the kernel itself: BPF run-time statistics turned on
through a BPF_ENABLE_STATS file descriptor held by this process (no sysctl is changed; they
are off again when it exits), rsttrace started, then ROUND_TRIPS (default 100000) one-byte
request/response exchanges over loopback in a network namespace of its own (every packet
passes LOCAL_OUT), then the programs' run_cnt and run_time_ns read with bpftool. Prints ns
per run of the netfilter program and, for scale, of the main object's busiest programs.
Root; bounded (rsttrace's ready line 15 s, the loop by its count)."""
import ctypes
import json
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
NS = "rt-nfcost-%d" % os.getpid()


def enable_stats():
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint32 * 4)(0)  # enable_stats.type = BPF_STATS_RUN_TIME (0)
    fd = libc.syscall(321, 32, attr, 16)  # SYS_bpf, BPF_ENABLE_STATS
    if fd < 0:
        sys.exit("BPF_ENABLE_STATS: errno %d" % ctypes.get_errno())
    return fd


def progs():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True)
    return {p["id"]: p for p in json.loads(out.stdout)}


def pingpong(port, n):
    srv = socket.socket()
    srv.bind(("127.0.0.1", port))
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(n):
            c.recv(1)
            c.send(b"y")
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    cli = socket.create_connection(("127.0.0.1", port))
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.monotonic()
    for _ in range(n):
        cli.send(b"x")
        cli.recv(1)
    dt = time.monotonic() - t0
    cli.close()
    t.join()
    return dt


def main():
    fd = enable_stats()
    subprocess.run(["ip", "netns", "add", NS], check=True)
    rt = None
    try:
        subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
        setns = ctypes.CDLL(None, use_errno=True).setns
        nsfd = os.open("/run/netns/" + NS, os.O_RDONLY)
        # rsttrace in the namespace: its netfilter program sees that namespace's packets
        rt = subprocess.Popen(["ip", "netns", "exec", NS, ROOT + "/rsttrace", "-j", "-P", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = rt.stderr.readline()
            if not line or line.startswith("rsttrace: tracing"):
                break
        before = progs()
        if setns(nsfd, 0x40000000) != 0:  # CLONE_NEWNET: this thread's sockets there
            sys.exit("setns failed")
        dt = pingpong(20555, N)
        after = progs()
        print("%d round trips over loopback in %.2f s (%.1f us each)" % (N, dt, dt / N * 1e6))
        rows = []
        for pid, p in after.items():
            b = before.get(pid, {})
            runs = p.get("run_cnt", 0) - b.get("run_cnt", 0)
            ns = p.get("run_time_ns", 0) - b.get("run_time_ns", 0)
            if runs > 0 and p.get("name", "").startswith(("nf_reset", "tp_", "raw_", "on_",
                                                           "send", "recv", "set_state")):
                rows.append((p["name"], runs, ns / runs))
        for name, runs, per in sorted(rows, key=lambda r: -r[1])[:8]:
            print("  %-28s %9d runs  %7.1f ns per run" % (name, runs, per))
    finally:
        if rt:
            rt.send_signal(2)
            try:
                rt.wait(10)
            except subprocess.TimeoutExpired:
                rt.kill()
        subprocess.run(["ip", "netns", "del", NS])
        os.close(fd)


main()
