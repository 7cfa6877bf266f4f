"""The platform's clock: every "now" of the code comes from here (``kaifang.db.utcnow`` delegates to it), so that
a test can stop time and move it instead of patching ``utcnow`` module by module.

``now()`` is an aware datetime in UTC; ``today()`` is the date in Suzhou (Asia/Shanghai), where the rules'
days are counted. ``freeze``, ``advance`` and ``thaw`` are the test hook (the ``clock`` fixture of
tests/conftest.py uses them); production code never calls them. The frozen instant is process-wide, not
per thread: the test client serves requests in a thread of its own and must see the same time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class _State:
    """The test hook's stopped instant (None: the clock runs)."""

    frozen: dt.datetime | None = None


_state = _State()


def now() -> dt.datetime:
    """The current instant, timezone-aware in UTC (the frozen one while a test holds the clock)."""
    frozen = _state.frozen
    return frozen if frozen is not None else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in Suzhou."""
    return now().astimezone(LOCAL_TZ).date()


def freeze(at: dt.datetime | None = None) -> dt.datetime:
    """Test hook: stop the clock at ``at`` (an aware datetime; the current instant when None)."""
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _state.frozen = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return _state.frozen


def advance(delta: dt.timedelta) -> dt.datetime:
    """Test hook: move a stopped clock by ``delta`` (negative moves it back)."""
    if _state.frozen is None:
        raise RuntimeError("advance() needs a frozen clock: call freeze() first")
    _state.frozen += delta
    return _state.frozen


def thaw() -> None:
    """Test hook: the clock runs again."""
    _state.frozen = None


def is_frozen() -> bool:
    return _state.frozen is not None
