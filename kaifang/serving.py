"""The HTTP protocol ``kaifang serve`` gives uvicorn: uvicorn's own, with TCP_NODELAY on every connection.

With ``--workers`` above 1, uvicorn opens the listening socket itself without naming the protocol
(``socket.socket(family)``), so the accepted connections report protocol 0 and asyncio does not turn Nagle's
algorithm off for them as it does for any other TCP connection. A response is written in two pieces (headers,
then body), so on a keep-alive connection the body waited for the client's delayed ACK: every request after the
first took ~40 ms more (measured: 56 ms instead of 13 ms for the same page, bench/). One worker is unaffected.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport: asyncio.Transport) -> None:
        no_delay(transport)
        super().connection_made(transport)
