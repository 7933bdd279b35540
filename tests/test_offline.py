"""The tests run with the network cut off (tests/offline/sitecustomize.py via the Makefile)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("COURSE_NETWORK_BLOCKED") != "1",
    reason="run through `make test`, which blocks the network",
)


def test_outside_connections_fail_fast() -> None:
    with pytest.raises(OSError, match="network access is blocked"):
        socket.create_connection(("1.1.1.1", 443), timeout=5)
    with pytest.raises(OSError, match="network access is blocked"):
        socket.getaddrinfo("example.org", 443)


def test_loopback_still_works() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=5)
    client.close()
    server.close()


def test_child_processes_are_offline_too() -> None:
    # Notebook kernels are child processes: they inherit the block through PYTHONPATH.
    code = "import socket; socket.create_connection(('8.8.8.8', 53), timeout=5)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0 and "network access is blocked" in proc.stderr
