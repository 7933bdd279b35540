"""Cut the network off for every Python process of the test run (pytest and notebook kernels).

`make test` puts this folder on PYTHONPATH, so Python imports this module at start-up in
pytest and in each Jupyter kernel nbval starts. Connections to loopback (the kernel's own
ZeroMQ sockets) and Unix sockets still work; anything else fails at once with a clear error.
"""

from __future__ import annotations

import ipaddress
import os
import socket

if os.environ.get("COURSE_ALLOW_NETWORK") != "1":
    _real_connect = socket.socket.connect
    _real_connect_ex = socket.socket.connect_ex
    _real_getaddrinfo = socket.getaddrinfo

    def _is_local(host: object) -> bool:
        if host in (None, "", "localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _check(sock: socket.socket, address: object) -> None:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return
        host = address[0] if isinstance(address, tuple) else address
        if not _is_local(host):
            raise OSError(f"network access is blocked in the course's tests (tried {address!r})")

    def connect(self: socket.socket, address: object) -> None:  # type: ignore[override]
        _check(self, address)
        return _real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:  # type: ignore[override]
        _check(self, address)
        return _real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _is_local(host if not isinstance(host, bytes) else host.decode()):
            raise socket.gaierror(f"network access is blocked in the course's tests (lookup {host!r})")
        return _real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    os.environ["COURSE_NETWORK_BLOCKED"] = "1"
