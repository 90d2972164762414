#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/namer.py COMM PORT [CGROUP_DIR] - a client with a chosen process name (any bytes:
# quotes, newlines, invalid UTF-8 given as \xNN escapes) that, optionally moved into a cgroup
# v2 directory first, connects to a closed PORT on 127.0.0.1 (a refused connect), prints
# "ready PID", then stays alive until stdin closes (bounded to 20 s) so that rsttrace can read
# its /proc/PID/cgroup.
import ctypes, os, select, socket, sys

comm = sys.argv[1].encode().decode('unicode_escape').encode('latin-1')[:15]
port = int(sys.argv[2])
if len(sys.argv) > 3:
    with open(os.path.join(sys.argv[3], 'cgroup.procs'), 'w') as f:
        f.write(str(os.getpid()))
libc = ctypes.CDLL(None)
libc.prctl(15, ctypes.c_char_p(comm), 0, 0, 0)  # PR_SET_NAME
s = socket.socket()
try:
    s.connect(('127.0.0.1', port))
except ConnectionRefusedError:
    pass
s.close()
# one write(2): five namers append to one file, and print() may split the line
os.write(1, ('ready %d\n' % os.getpid()).encode())
select.select([sys.stdin], [], [], 20)
