"""The working-day calendar and deadlines (A10.1, A20.3): what other domains may use.

Workflows set ``due_at = deadline_for(session, received_at, n)``; queues show
``load_calendar(session, principal).remaining_workdays(now, due_at)``.
"""

from kaifang.workdays.calendar import (
    DAY_KIND_LABELS,
    SHANGHAI,
    CalendarNotCovered,
    DayInfo,
    DayKind,
    DaySource,
    WorkdayCalendar,
    due_day,
    package_covers,
)
from kaifang.workdays.due import Due, due_reader
from kaifang.workdays.queries import deadline_for, list_declared_years, list_overrides, load_calendar
from kaifang.workdays.services import (
    ImportErrors,
    declare_year,
    delete_override,
    import_overrides,
    set_override,
    withdraw_year,
)

__all__ = [
    "DAY_KIND_LABELS", "SHANGHAI", "CalendarNotCovered", "DayInfo", "DayKind", "DaySource", "Due", "ImportErrors",
    "WorkdayCalendar", "deadline_for", "declare_year", "delete_override", "due_day", "due_reader", "import_overrides",
    "list_declared_years", "list_overrides", "load_calendar", "package_covers", "set_override",
    "withdraw_year",
]
