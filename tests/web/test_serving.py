"""``kaifang serve`` turns Nagle's algorithm off on every connection: with several workers uvicorn opens the
listening socket without naming the protocol, asyncio then leaves Nagle on for the accepted connections, and a
response written as headers then body waited for the client's delayed ACK on keep-alive connections."""

from __future__ import annotations

import asyncio
import socket

from click.testing import CliRunner
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from kaifang import cli
from kaifang.serving import NoDelayHTTPProtocol, no_delay


def test_accepted_connections_get_tcp_nodelay_where_asyncio_leaves_it_off() -> None:
    seen: list[tuple[int, int]] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
            sock = transport.get_extra_info("socket")
            before = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            no_delay(transport)
            seen.append((before, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
            transport.close()

    async def main() -> None:
        listening = socket.socket(family=socket.AF_INET)  # as uvicorn binds it for several workers
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", 0))
        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        _reader, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert seen == [(0, 1)]


def test_serve_gives_uvicorn_the_no_delay_protocol(monkeypatch) -> None:
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))  # not our code: the server
    result = CliRunner().invoke(cli.main, ["serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["workers"] == 2
    protocol = import_from_string(calls[0]["http"])
    assert protocol is NoDelayHTTPProtocol and issubclass(protocol, AutoHTTPProtocol)
