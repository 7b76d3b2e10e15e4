"""incubator.serving.CoalescingTransport: a response's head and body leave in one send.

On real sockets and asyncio's own transport: what is held is not on the wire, what is
sent is readable at once without the loop turning, and each of the real server's answers
arrives in one TCP segment."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from incubator.serving import CoalescingTransport
from tests.reliability.web import server_env
from tests.servers import HEALTHY_WITHIN, STOPPED_WITHIN, Serve


@pytest.fixture
async def wire() -> AsyncIterator[tuple[CoalescingTransport, socket.socket]]:
    """A coalescing transport on one end of a socket pair; the other end, non-blocking."""
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    transport, _protocol = await asyncio.get_running_loop().create_connection(
        asyncio.Protocol, sock=ours
    )
    try:
        yield CoalescingTransport(transport), theirs
    finally:
        transport.close()
        theirs.close()


def on_the_wire(peer: socket.socket) -> bytes:
    try:
        return peer.recv(65536)
    except BlockingIOError:
        return b""


async def test_a_head_waits_for_its_body_and_leaves_with_it(
    wire: tuple[CoalescingTransport, socket.socket],
) -> None:
    transport, peer = wire
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
    assert on_the_wire(peer) == b""
    transport.write(b"hello")
    # Sent by the write itself, before the loop turns.
    assert on_the_wire(peer) == b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"


async def test_a_lone_write_leaves_on_the_loops_next_turn(
    wire: tuple[CoalescingTransport, socket.socket],
) -> None:
    transport, peer = wire
    transport.write(b"data: one\n\n")
    assert on_the_wire(peer) == b""
    await asyncio.sleep(0)
    assert on_the_wire(peer) == b"data: one\n\n"


async def test_an_empty_write_sends_what_is_held(
    wire: tuple[CoalescingTransport, socket.socket],
) -> None:
    transport, peer = wire
    transport.write(b"HTTP/1.1 303 See Other\r\nlocation: /\r\ncontent-length: 0\r\n\r\n")
    transport.write(b"")
    assert on_the_wire(peer).startswith(b"HTTP/1.1 303 See Other\r\n")


async def test_closing_sends_what_is_held_first(
    wire: tuple[CoalescingTransport, socket.socket],
) -> None:
    transport, peer = wire
    transport.write(b"last words")
    transport.close()
    await asyncio.sleep(0.05)  # the socket closes on the loop's turn
    assert on_the_wire(peer) == b"last words"
    assert on_the_wire(peer) == b""  # then the end of the stream
    assert transport.is_closing()


def data_segments_in(client: socket.socket) -> int:
    """How many TCP segments with data this socket has received (Linux's TCP_INFO,
    tcpi_data_segs_in, at byte 152 of struct tcp_info)."""
    info = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 160)
    return int(struct.unpack_from("I", info, 152)[0])


def read_response(client: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
        chunk = client.recv(65536)
        assert chunk, f"the server closed the connection after {data!r}"
        data += chunk
    return data


def _expected_length(data: bytes) -> int:
    head, _, _body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    raise AssertionError(f"no content-length in {head!r}")


def test_the_servers_answers_arrive_in_one_segment_each(tmp_path: Path) -> None:
    """Two requests on one kept-alive connection: a page and a redirect (an empty body).
    Each answer, head and body, came in one TCP segment: it left in one send."""
    server = Serve(server_env(tmp_path / "data"), tmp_path)
    server.start(healthy_within=HEALTHY_WITHIN)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
            for path, status in (("/login", b"200"), ("/ideas", b"303")):
                before = data_segments_in(client)
                client.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
                answer = read_response(client)
                assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
                assert data_segments_in(client) - before == 1, f"{path} came in pieces"
    finally:
        server.stop(STOPPED_WITHIN)
