"""Several workers on one port, each listening on a socket of its own.

uvicorn's workers share the parent's one listening socket, and a worker that wakes first
accepts every connection waiting (asyncio accepts up to the backlog at a time): the 32
keep-alive connections of a load, or of a proxy, often all went to one worker while the
other idled (`bench/run --workers 1,2` measured 1.02x with two workers in one run, 1.53x
in another). Here the parent binds no shared socket: each worker binds its own with
SO_REUSEPORT and Linux spreads new connections across them, a worker restarted by the
supervisor included. The parent holds a bound, non-listening socket of the same group,
so a port already taken fails at once, with one clear message.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from typing import Any

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import multiprocess

logger = logging.getLogger("uvicorn.error")


def own_listener(host: str, port: int) -> socket.socket:
    """A socket bound to host:port that other sockets of this user may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class _OwnListenerProcess(multiprocess.Process):
    """A worker that serves on a listener of its own instead of the parent's."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        super().target([own_listener(self.config.host, self.config.port)])


def serve_workers(config: Config) -> None:
    """uvicorn's supervisor (restarts, graceful shutdown, signals), with a listener per
    worker. For TCP on a fixed port; on anything else, uvicorn's own way."""
    if not hasattr(socket, "SO_REUSEPORT") or config.uds or config.fd is not None:
        multiprocess.Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    try:
        reserved = own_listener(config.host, config.port)
    except OSError as error:
        logger.error("Cannot listen on %s:%s: %s", config.host, config.port, error)
        sys.exit(STARTUP_FAILURE)
    logger.info(
        "Listening on http://%s:%d with %d workers, a socket each",
        config.host,
        config.port,
        config.workers,
    )
    with reserved:
        # The supervisor makes its workers from this name; this process only supervises.
        multiprocess.Process = _OwnListenerProcess  # type: ignore[misc]
        multiprocess.Multiprocess(config, sockets=[]).run()


class CoalescingTransport:
    """A connection's transport that sends a response's head and body in one send.

    uvicorn writes a response's status line and headers in one call and its body in
    another, and asyncio sends each at once (with TCP_NODELAY): two segments, two system
    calls, and a client that wakes for the headers, finds no body and sleeps until it
    comes. Where the workers share their cores with the database and the clients, each of
    those wake-ups may also preempt a worker. Here a write is held until the next one, which
    goes out with it at once, or, if none comes, until the loop's next turn: a head and its
    body leave together, as soon as the body is written, and a stream's parts leave no later
    than they did by more than a turn. An empty write (uvicorn's body of a redirect, say)
    sends what is held."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is None:
            if data:
                self._held = bytes(data)
                asyncio.get_running_loop().call_soon(self._send_held)
            return
        held, self._held = self._held, None
        self._transport.write(held + data if data else held)

    def _send_held(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(held)

    def close(self) -> None:
        self._send_held()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        """Everything else (reading, flow control, extra info) is the transport's own."""
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a CoalescingTransport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport))  # type: ignore[arg-type]
