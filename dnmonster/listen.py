"""The listening address every worker shares, each through its own socket (SO_REUSEPORT).

One socket shared by all workers lets whichever worker wakes first accept every pending
connection: a burst of 8 keep-alive connections often lands on one worker and leaves the other
idle. With a socket per worker in one SO_REUSEPORT group the kernel spreads new connections over
the workers by a hash of the addresses. Only sockets of the same user can join the group.
"""

import socket

BACKLOG = 2048


def bind_shared(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that other sockets of this user may bind too.

    Not yet listening: a bound socket that never listens receives no connections, so the
    supervisor can hold one to keep the address (and report it in use) while workers serve."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
