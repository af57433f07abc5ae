"""A worker closes a served connection at once, and lingers only when the client is
still sending (catalytic/socket_close.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from catalytic.socket_close import close_promptly, install

REQUEST = b"GET /api/lattices HTTP/1.1\r\nHost: x\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(client, server side of the accepted connection) over real loopback TCP."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    client.settimeout(5)
    yield client, server
    client.close()
    server.close()


def wait_until_buffered(server: socket.socket, size: int) -> None:
    deadline = time.monotonic() + 5
    while len(server.recv(size, socket.MSG_PEEK | socket.MSG_DONTWAIT)) < size:
        assert time.monotonic() < deadline, "the client's bytes never arrived"
        time.sleep(0.001)


def read_all(client: socket.socket) -> bytes:
    chunks = []
    while chunk := client.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def never(sock: socket.socket) -> None:
    raise AssertionError("lingered although nothing was pending")


def test_a_served_connection_is_closed_before_the_client_closes(connection):
    client, server = connection
    client.sendall(REQUEST)
    wait_until_buffered(server, len(REQUEST))
    assert server.recv(4096) == REQUEST
    server.sendall(RESPONSE)

    close_promptly(server, graceful=never)

    # The client still has its end open, yet gets the whole response and then EOF.
    assert read_all(client) == RESPONSE


def test_a_client_that_closed_first_is_not_waited_for(connection):
    client, server = connection
    client.sendall(REQUEST)
    client.shutdown(socket.SHUT_WR)
    wait_until_buffered(server, len(REQUEST))
    server.recv(4096)
    server.sendall(RESPONSE)

    close_promptly(server, graceful=never)

    assert read_all(client) == RESPONSE


def test_request_bytes_left_unread_get_the_graceful_close(connection):
    # A body the app refused without reading: closing over it would send a RST that
    # can wipe out the response before the client reads it.
    client, server = connection
    client.sendall(REQUEST + b"x" * 1000)
    wait_until_buffered(server, len(REQUEST) + 1000)
    server.recv(len(REQUEST))
    server.sendall(RESPONSE)
    lingered = []

    close_promptly(server, graceful=lambda sock: (lingered.append(sock), sock.close()))

    assert lingered == [server]
    assert read_all(client) == RESPONSE


def test_install_wraps_gunicorns_close_once(monkeypatch):
    from gunicorn import util

    monkeypatch.setattr(util, "close_graceful", util.close_graceful)
    monkeypatch.delattr(util, "_catalytic_graceful_close", raising=False)
    original = util.close_graceful

    install()
    install()

    assert util.close_graceful is not original
    assert util._catalytic_graceful_close is original
