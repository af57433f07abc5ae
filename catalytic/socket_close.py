"""How a gunicorn worker closes a client connection once the response is sent.

gunicorn 23+ closes every connection "gracefully": it half-closes, then waits up to 2 s
for the client to close its side, so that request bytes the app never read cannot make
the kernel answer with a RST that truncates the response. A sync worker serves nobody
while it waits, so its throughput is bounded by how fast clients react, not by the CPU:
under the 10,000-user load test a third of each worker's time went to that wait while
the machine was busy (docs/performance.md, "Third round").

`close_promptly` keeps the protection where it matters and drops the wait elsewhere.
It reads, without blocking, whatever the client sent that the app did not: when that
ends in the client's own FIN, or nothing is pending, the connection is closed at once
(no unread data, so no RST); when request bytes are still pending (say a body refused
with 413 before it was read) it falls back to gunicorn's graceful close.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

# Enough to drain a refused small body in one go; more than this is left to the
# graceful close.
_DRAIN_LIMIT = 65536


def _drain_pending(sock: socket.socket) -> bool:
    """Read what is already buffered; True when the client may still send more."""
    drained = 0
    while drained < _DRAIN_LIMIT:
        try:
            data = sock.recv(4096, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            # Nothing more buffered now. Leftovers just drained mean the client was still
            # sending its request, so more may follow; none means it had sent it all.
            return drained > 0
        except OSError:
            return False
        if not data:
            return False  # the client closed first: nothing more can arrive
        drained += len(data)
    return True


def close_promptly(
    sock: socket.socket,
    graceful: Callable[[socket.socket], None],
) -> None:
    """Close `sock` now, or through `graceful` when the client was still sending."""
    try:
        pending = _drain_pending(sock)
    except Exception:  # noqa: BLE001 - closing must never raise into the worker loop
        pending = True
    if pending:
        graceful(sock)
        return
    with contextlib.suppress(OSError):
        sock.close()


def install() -> None:
    """Make gunicorn's workers close connections with `close_promptly`."""
    from gunicorn import util

    graceful = getattr(util, "_catalytic_graceful_close", util.close_graceful)
    util._catalytic_graceful_close = graceful

    def close(sock: socket.socket, *args: object, **kwargs: object) -> None:
        close_promptly(sock, lambda s: graceful(s, *args, **kwargs))

    util.close_graceful = close
