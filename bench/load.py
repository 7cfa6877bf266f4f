"""A small closed-loop load generator: N client threads, each with its own keep-alive connection to a loopback
server, asking the same URL again and again for a fixed time. Bounded by time (and a request cap); it stops by
itself.

Throughput counts the responses completed inside the window; a request still running when the window closes
is neither counted nor an error (it is reported as ``in_flight_at_end``). Errors are non-200 answers and
failed connections. The caller stops the server afterwards, so an abandoned request cannot disturb what
is measured next.
"""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlencode

from .common import summary

MAX_REQUESTS = 1_000_000  # a bound whatever happens


def run(port: int, path: str, params: list[tuple[str, str]], clients: int = 32, seconds: float = 30.0,
        timeout: float = 300.0) -> dict:
    url = f"{path}?{urlencode(params)}"
    barrier = threading.Barrier(clients + 1)
    lock = threading.Lock()
    done: list[tuple[float, float, bool]] = []  # (finished at, latency, ok)
    errors: list[str] = []
    state = {"start": 0.0, "end": 0.0, "count": 0}
    in_flight = [0]
    conns: list[http.client.HTTPConnection] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        with lock:
            conns.append(conn)
        barrier.wait()
        while True:
            now = time.perf_counter()
            with lock:
                if now >= state["end"] or state["count"] >= MAX_REQUESTS:
                    break
                state["count"] += 1
                in_flight[0] += 1
            ok, error = False, None
            try:
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if not ok:
                    error = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            finished = time.perf_counter()
            with lock:
                in_flight[0] -= 1
                if finished <= state["end"]:
                    done.append((finished, finished - now, ok))
                    if error:
                        errors.append(error)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    state["start"] = time.perf_counter()
    state["end"] = state["start"] + seconds
    barrier.wait()
    time.sleep(seconds)
    # Give requests started just before the end a moment, then abandon the rest (daemon threads).
    for t in threads:
        t.join(timeout=max(0.0, state["end"] + 2.0 - time.perf_counter()))
    ok = [lat for _, lat, good in done if good]
    with lock:
        pending = in_flight[0]
    return {
        "clients": clients, "seconds": seconds, "completed": len(done), "ok": len(ok), "errors": len(errors),
        "error_kinds": sorted(set(errors)), "rps": len(ok) / seconds, "in_flight_at_end": pending,
        "latency_ms": summary([x * 1000 for x in ok], keep=False) if ok else None,
    }
