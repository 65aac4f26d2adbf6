"""Prints the TCP sockets that a process tree holds, one "pid state local_address local_port" per line.

listen_sockets.py ROOT_PID: ROOT_PID and all its descendants; their sockets are the /proc/PID/fd links
"socket:[inode]", matched against /proc/net/tcp and /proc/net/tcp6 (addresses decoded: 127.0.0.1, ::1,
0.0.0.0, ::; state LISTEN, ESTABLISHED or the kernel's hex code). Listening sockets are what another machine
could connect to; Gloo closes its listeners once its pairs are connected, so the connected sockets' local
addresses are checked too. Used by train_cli.sh loopback_only; standard library only.
"""
import ipaddress
import os
import socket
import struct
import sys


def parents():
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        out[int(name)] = int(stat[stat.rindex(")") + 2:].split()[1])  # after "(comm) state": ppid
    return out


def tree(root):
    ppid = parents()
    seen, todo = [], [root]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.append(p)
            todo += [c for c, pp in ppid.items() if pp == p]
    return seen


def socket_inodes(pid):
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        pass
    return inodes


def decode(hex_addr):
    # The kernel prints each 32-bit word in host order (little-endian here).
    host, port = hex_addr.split(":")
    raw = b"".join(struct.pack("<I", int(host[i:i + 8], 16)) for i in range(0, len(host), 8))
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    addr = ipaddress.ip_address(socket.inet_ntop(family, raw))
    mapped = getattr(addr, "ipv4_mapped", None)  # ::ffff:127.0.0.1, an IPv4 peer of an IPv6 socket
    return str(mapped or addr), int(port, 16)


STATES = {"0A": "LISTEN", "01": "ESTABLISHED"}


def tcp_sockets():
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            out[f[9]] = (STATES.get(f[3], f[3]),) + decode(f[1])
    return out


def main():
    table = tcp_sockets()
    for pid in tree(int(sys.argv[1])):
        for inode in socket_inodes(pid):
            if inode in table:
                print(pid, *table[inode])


if __name__ == "__main__":
    main()
