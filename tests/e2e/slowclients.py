#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/slowclients.py PORT N SECONDS - N hostile HTTP clients of 127.0.0.1:PORT at once:
# a third trickle a request's header one byte every 0.2 s (slowloris), a third send a whole
# request and never read the answer (a tiny receive buffer), a third connect and say nothing.
# Prints "ready N" once all are connected, keeps them going for SECONDS (or until stdin
# closes), then closes them all and prints "done OPEN" (how many the server still held open).
import select, socket, sys, time

port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket()
    if i % 3 == 1:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.connect(('127.0.0.1', port))
    if i % 3 == 0:
        s.send(b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    elif i % 3 == 1:
        s.send(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
    socks.append(s)
print('ready', len(socks), flush=True)
end = time.time() + secs
while time.time() < end:
    r, _, _ = select.select([sys.stdin], [], [], 0.2)
    if r and not sys.stdin.readline():
        break
    for i in range(0, n, 3):
        try:
            socks[i].send(b'a')
        except OSError:
            pass
open_ = 0
for s in socks:
    s.setblocking(False)
    try:
        open_ += s.recv(1, socket.MSG_PEEK) != b''
    except BlockingIOError:
        open_ += 1
    except OSError:
        pass
    s.close()
print('done', open_, flush=True)
