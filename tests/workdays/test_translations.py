"""Every English msgid of the working-day calendar has its Chinese translation in workdays.po."""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po

import kaifang.workdays
from kaifang.i18n import LOCALE_DIR, gettext_in
from kaifang.workdays.calendar import NOT_COVERED_MSGID

PACKAGE = Path(kaifang.workdays.__file__).parent
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "workdays.po"


def _msgids() -> set[str]:
    """String literals that read like user-facing sentences: capitalised or starting with a parameter,
    with a space. Docstrings and lower-case programmer errors are left out."""
    found: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and " " in node.value and (node.value[:1].isupper() or node.value.startswith("%("))):
                found.add(node.value)
    return found


def test_every_msgid_is_translated() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {m.id for m in catalog if m.id and m.string}
    msgids = _msgids()
    assert NOT_COVERED_MSGID in msgids and "Working day" in msgids
    assert msgids - translated == set()


def test_a10_1_not_covered_message_in_chinese() -> None:
    text = gettext_in("zh_CN", NOT_COVERED_MSGID, year=2027)
    assert "2027年" in text and "工作日" in text
    assert gettext_in("zh_CN", "Make-up working day") == "调休上班日"
    assert gettext_in("zh_CN", "Public holiday") == "法定节假日"
