#!/usr/bin/python3
"""pool.py ADDR PORT IDLE_S - a keep-alive client of the standard library (http.client keeps
its connection for the next request, as a pool does): one request, IDLE_S seconds idle
(longer than the server's keepalive_timeout), then the next request on the same connection.
Prints "first STATUS", then "second STATUS" or "second error EXCEPTION"."""
import http.client
import sys
import time

addr, port, idle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conn = http.client.HTTPConnection(addr, port, timeout=5)
conn.request("GET", "/first")
r = conn.getresponse()
r.read()
print("first %d" % r.status, flush=True)
time.sleep(idle)  # the pool's idle time: the scenario itself, longer than the server's
try:
    conn.request("GET", "/second")
    r = conn.getresponse()
    r.read()
    print("second %d" % r.status, flush=True)
except (http.client.HTTPException, OSError) as e:
    print("second error %s" % type(e).__name__, flush=True)
