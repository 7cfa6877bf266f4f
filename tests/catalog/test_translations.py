"""Every English msgid of the catalog and of the workflow mechanism has its Chinese translation in catalog.po."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

import kaifang
from kaifang.catalog import vocabulary
from kaifang.catalog.workflow import PUBLISHING, STATE_LABELS
from kaifang.i18n import LOCALE_DIR, gettext_in

PKG = Path(kaifang.__file__).resolve().parent
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "catalog.po"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


def _sentences() -> set[str]:
    """String literals that read like user-facing sentences: capitalised, with a space, ending with a full
    stop. Docstrings are left out."""
    found: set[str] = set()
    for folder in ("catalog", "workflow"):
        for path in (PKG / folder).glob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                          if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef) and n.body
                          and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
            for node in ast.walk(tree):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                        and " " in node.value and node.value[:1].isupper() and node.value.rstrip().endswith(".")):
                    found.add(node.value)
    return found


def _labels() -> set[str]:
    dicts = [vocabulary.DOMAINS, vocabulary.OPEN_CLASS_LABELS, vocabulary.DATA_TYPE_LABELS,
             vocabulary.FREQUENCY_LABELS, vocabulary.REVIEW_KIND_LABELS, vocabulary.CONCLUSION_LABELS,
             vocabulary.SENSITIVITY_LABELS, vocabulary.REQUIRED_ELEMENT_LABELS, STATE_LABELS]
    return {v for d in dicts for v in d.values()} | {t.title for t in PUBLISHING.transitions}


def test_every_msgid_is_translated() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    msgids = _sentences() | _labels()
    assert len(msgids) > 90 and "Catalog name" in msgids and "Submit for review" in msgids
    assert msgids - set(translated) == set()
    wrong = [m for m in msgids if set(_PLACEHOLDER.findall(m)) != set(_PLACEHOLDER.findall(translated[m]))]
    assert wrong == []


def test_a14_2_required_elements_in_chinese() -> None:
    labels = [gettext_in("zh_CN", m) for m in vocabulary.REQUIRED_ELEMENT_LABELS.values()]
    assert labels == ["目录名称", "完整数据项", "开放主体", "开放属性", "数据格式", "数据类型", "更新频率", "开放条件"]
    assert [gettext_in("zh_CN", vocabulary.FREQUENCY_LABELS[f]) for f in vocabulary.Frequency] == [
        "实时", "每日", "每周", "每月", "每季度", "每半年", "每年", "不定时"]
    assert gettext_in("zh_CN", vocabulary.OPEN_CLASS_LABELS["not_open"]) == "不予开放"
