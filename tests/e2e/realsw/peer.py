#!/usr/bin/python3
"""peer.py - one TCP end driven line by line on stdin, one answer line per command, so a test
sequences two processes without sleeping. Used by test_firewall.sh and test_snmp.sh.

  peer.py server ADDR PORT   listen ("ready PORT"); on "accept", accept ("accepted"), then
                             commands
  peer.py client ADDR PORT   connect: "connected", or "error ENAME"; then commands
commands: write (send 1000 bytes: "ok" or "error ENAME"), linger (SO_LINGER {1, 0}: "ok"),
close ("closed"), exit. Every wait is bounded (10 s).
"""
import errno
import socket
import struct
import sys


def say(line):
    print(line, flush=True)


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def commands(s):
    for line in iter(sys.stdin.readline, ""):
        cmd = line.strip()
        if cmd == "write":
            try:
                s.send(b"x" * 1000)
                say("ok")
            except OSError as e:
                say("error " + ename(e))
        elif cmd == "linger":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            say("ok")
        elif cmd == "close":
            s.close()
            say("closed")
        elif cmd == "exit":
            return


def main():
    role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    if role == "server":
        lsn = socket.socket(fam, socket.SOCK_STREAM)
        lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsn.bind((addr, port))
        lsn.listen(8)
        lsn.settimeout(10)
        say("ready %d" % lsn.getsockname()[1])
        if sys.stdin.readline().strip() != "accept":
            return
        try:
            s, _ = lsn.accept()
        except socket.timeout:
            say("error ETIMEDOUT")
            return
        say("accepted")
        commands(s)
        return
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect((addr, port))
    except OSError as e:
        say("error " + ename(e))
        commands(s)
        return
    say("connected")
    commands(s)


main()
