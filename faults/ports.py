"""Free TCP ports on loopback, below the ephemeral range so no outgoing connection takes one."""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20000, 30000


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports nobody listens on now."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randrange(LOW, HIGH)
        if port not in chosen and _free(port):
            chosen.append(port)
    return chosen


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), 0.5):
            return True
    except OSError:
        return False
