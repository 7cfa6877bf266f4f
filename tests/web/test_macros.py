"""The shared template macros of kaifang/web/templates/macros.html: workflow history and staff queues."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from kaifang.catalog import PUBLISHING
from kaifang.web.templating import templates
from kaifang.workdays import Due

# What ``Workflow.labels`` gives (a plain mapping works as well).
LABELS = {"states": {"new": "Draft", "done": "Published"}, "transitions": {"finish": "Publish"}}


def test_a_workflow_gives_its_labels() -> None:
    assert PUBLISHING.labels["states"]["draft"] == "Draft"
    assert PUBLISHING.labels["transitions"]["reject"] == "Send back to the provider"


def _render(source: str, **context: object) -> str:
    return templates.env.from_string('{% from "macros.html" import history, queue_table %}' + source).render(
        **context)


def test_history_shows_each_move_in_beijing_time_with_translated_labels() -> None:
    row = SimpleNamespace(at=dt.datetime(2025, 3, 3, 16, 30, tzinfo=dt.UTC), transition="finish", from_state="new",
                          to_state="done", actor_label="cdo@example.test", note="ok")
    html = _render("{{ history(rows, labels, 'nothing yet') }}", rows=[row], labels=LABELS)
    assert "2025-03-04 00:30" in html  # 16:30 UTC is past midnight in Shanghai
    assert "cdo@example.test" in html and "<td>ok</td>" in html
    assert "草稿" in html and "已发布" in html and 'id="history"' in html


def test_history_without_rows_says_so() -> None:
    html = _render("{{ history([], labels, 'nothing yet') }}", labels=LABELS)
    assert "nothing yet" in html and "<table" not in html


def test_queue_table_adds_the_due_column_and_marks_overdue_rows() -> None:
    rows = [(SimpleNamespace(name="late"), Due("2025-03-03", -2, True)),
            (SimpleNamespace(name="soon"), Due("2025-03-10", 3, False)), (SimpleNamespace(name="none"), None)]
    html = _render("{% call(item) queue_table(rows, ['Name'], 'q', 'Queue', 'empty') %}<td>{{ item.name }}</td>"
                   "{% endcall %}", rows=rows)
    assert html.count("<tr") == 4 and html.count('class="overdue"') == 1
    late = html[html.index('class="overdue"'):]
    assert late.index("late") < late.index("soon")
    assert "2025-03-10" in html and 'id="q"' in html and "—" in html


def test_queue_table_without_a_deadline_and_empty() -> None:
    html = _render("{% call(item) queue_table(rows, ['Name'], 'q', with_due=false) %}<td>{{ item }}</td>"
                   "{% endcall %}", rows=["a", "b"])
    assert html.count("<th scope") == 1 and "<td>a</td>" in html
    assert "nothing" in _render("{% call(item) queue_table([], ['Name'], 'q', empty_text='nothing') %}"
                                "{% endcall %}")
