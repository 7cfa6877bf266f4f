"""Pure catalog rules: the A14.2 completeness check, A32.1 expert review, A16.3 and A8.1 due dates, citations."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Any

from kaifang.catalog.vocabulary import REQUIRED_ELEMENT_LABELS, Frequency, OpenClass
from kaifang.workdays import SHANGHAI

INCOMPLETE = "This catalog entry is incomplete: please fill in every required element before submitting it."


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _item_complete(item: Any) -> bool:
    return not any(_blank(getattr(item, attr, None)) for attr in ("name", "title", "type", "description"))


def missing_fields(entry: Any, items: Sequence[Any], formats: Sequence[str]) -> list[str]:
    """A14.2: the msgid of each required element ``entry`` lacks, in the order of the rule.

    ``entry`` has the catalog entry's attributes; ``items`` are its data items (each needs name, title,
    type and meaning: ``description``); ``formats`` are its data formats. Empty when complete.
    """
    missing: list[str] = []
    if _blank(entry.name):
        missing.append("name")
    if not items or not all(_item_complete(i) for i in items):
        missing.append("items")
    if entry.provider_org_id is None:
        missing.append("provider")
    if _blank(entry.open_class):
        missing.append("open_class")
    if not formats:
        missing.append("formats")
    if _blank(entry.data_type):
        missing.append("data_type")
    if _blank(entry.update_frequency):
        missing.append("update_frequency")
    if entry.open_class == OpenClass.CONDITIONAL and _blank(entry.open_conditions):
        missing.append("open_conditions")
    return [REQUIRED_ELEMENT_LABELS[m] for m in missing]


def needs_expert_review(requested: bool, open_class: str | None, sensitivities: Sequence[str]) -> bool:
    """A32.1: expert assessment of aggregation and linkage risks for conditional entries, for entries with
    sensitive data items, and whenever the provider asks for it."""
    return bool(requested or open_class == OpenClass.CONDITIONAL or "sensitive" in sensitivities)


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


_PERIODS: dict[str, dt.timedelta | int] = {
    Frequency.REALTIME: dt.timedelta(days=1),  # a real-time feed silent for a day is late
    Frequency.DAILY: dt.timedelta(days=1),
    Frequency.WEEKLY: dt.timedelta(days=7),
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


def next_update_due(frequency: str | None, last_update: dt.datetime | None) -> dt.datetime | None:
    """A16.3: when data last updated at ``last_update`` is next due under ``frequency`` (None: no due date,
    for irregular updates or before the first publication). Months are calendar months in Shanghai
    (31 January + 1 month = 28/29 February)."""
    if last_update is None or frequency not in _PERIODS:
        return None
    period = _PERIODS[frequency]
    if isinstance(period, dt.timedelta):
        return last_update + period
    return _add_months(last_update.astimezone(SHANGHAI), period).astimezone(dt.UTC)


def due_for_update(entry: Any) -> dt.datetime | None:
    """A16.3: the next due update of a catalog entry, from its frequency and its last data update."""
    return next_update_due(entry.update_frequency, entry.data_updated_at or entry.first_published_at)


def next_class_review(moment: dt.datetime, open_class: str | None) -> dt.date | None:
    """A8.1: entries outside the open range (not open, conditional) are reviewed again a year later."""
    if open_class not in (OpenClass.NOT_OPEN, OpenClass.CONDITIONAL):
        return None
    return _add_months(moment.astimezone(SHANGHAI), 12).date()


def default_citation(provider: str, name: str, year: int, url: str) -> str:
    """A24.1: a GB/T 7714-style reference to the dataset ([DS] = dataset)."""
    return f"{provider}. {name}[DS]. 苏州市公共数据开放平台, {year}. {url}"
