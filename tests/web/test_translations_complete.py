"""Every English msgid of the account pages and the console has a Chinese (zh_CN) translation.

The msgids are collected from the sources themselves, so a new ``_("...")`` in a template or a new error
message in ``kaifang/accounts`` without a translation makes this test fail:

* templates under ``kaifang/accounts/templates``, ``kaifang/web/templates/console``,
  ``kaifang/audit/templates`` and ``kaifang/tasks/templates``: literal ``_("...")`` / ``_('...')`` calls
  (dynamic ``_(variable)`` calls are skipped; their values are covered below);
* ``kaifang/accounts/**/*.py``: string literals passed to ``gettext_(``, ``gettext_in(lang, ``,
  ``BusinessRuleError(``, ``USCCError(``, ``LoginResult(user, ``, ``ValueError(`` (pydantic validators), the
  values of dict literals passed to ``ValidationErrors(``, ``errors[...] = "..."`` assignments and the strings
  ``password_problem`` returns;
* ``ROLE_MSGIDS``, the console ``MENU`` labels, ``ORG_KINDS`` and the job states shown as
  ``_(s|capitalize)`` in the jobs page.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import kaifang
from kaifang.i18n import translations

PKG = Path(kaifang.__file__).resolve().parent
TEMPLATE_DIRS = [
    PKG / "accounts" / "templates",
    PKG / "web" / "templates" / "console",
    PKG / "audit" / "templates",
    PKG / "tasks" / "templates",
    PKG / "workdays" / "templates",
]
PY_ROOT = PKG / "accounts"

# _("...") or _('...') with a literal first argument; `(?<![\w.])` keeps out gettext_( and obj._(.
_TEMPLATE_CALL = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
# Special msgids whose English text is not the msgid itself: the placeholders their translation must use.
SPECIAL = {"reset_mail_body": {"name", "link", "hours"}}

# Calls whose n-th positional argument is a msgid.
_MSGID_ARG = {"gettext_": 0, "_": 0, "gettext_in": 1, "BusinessRuleError": 0, "USCCError": 0, "LoginResult": 1,
              "ValueError": 0, "Message": 0}  # a pydantic validator's ValueError carries a msgid


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def template_msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            for m in _TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
                msgid = _unescape(m.group(1) if m.group(1) is not None else m.group(2))
                found.setdefault(msgid, str(path.relative_to(PKG.parent)))
    return found


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _strings(node: ast.AST | None, local: dict[str, list[str]]) -> list[str]:
    """The string value(s) of an argument: a literal (implicit concatenation is one Constant), a local
    variable assigned a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name):
        return local.get(node.id, [])
    if isinstance(node, ast.IfExp):
        return _strings(node.body, local) + _strings(node.orelse, local)
    return []


def _scopes(tree: ast.Module) -> list[ast.AST]:
    return [tree] + [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def python_msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(PY_ROOT.rglob("*.py")):
        where = str(path.relative_to(PKG.parent))
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def add(values: list[str], where: str = where) -> None:
            for v in values:
                if v:
                    found.setdefault(v, where)

        for scope in _scopes(tree):
            body = scope.body  # type: ignore[attr-defined]
            nodes = [n for stmt in body for n in ast.walk(stmt)]
            # Local variables holding a literal (e.g. ``generic = "The e-mail address or password is wrong."``).
            local: dict[str, list[str]] = {}
            for n in nodes:
                if (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                        and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)):
                    local.setdefault(n.targets[0].id, []).append(n.value.value)
            for n in nodes:
                if isinstance(n, ast.Call):
                    name = _call_name(n)
                    if name in _MSGID_ARG and len(n.args) > _MSGID_ARG[name]:
                        add(_strings(n.args[_MSGID_ARG[name]], local))
                    if name == "ValidationErrors" and n.args and isinstance(n.args[0], ast.Dict):
                        for v in n.args[0].values:
                            add(_strings(v, local))
                # errors["field"] = "..." (later raised as ValidationErrors(errors))
                elif (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Subscript)
                      and isinstance(n.targets[0].value, ast.Name) and n.targets[0].value.id == "errors"):
                    add(_strings(n.value, local))
            if isinstance(scope, ast.FunctionDef) and scope.name == "password_problem":
                for n in nodes:
                    if isinstance(n, ast.Return):
                        add(_strings(n.value, local))
    return found


def other_msgids() -> dict[str, str]:
    from kaifang.accounts.routes.console import ORG_KINDS
    from kaifang.tasks.queries import STATES
    from kaifang.web.console import MENU
    from kaifang.web.templating import ROLE_MSGIDS

    found: dict[str, str] = {}
    for v in ROLE_MSGIDS.values():
        found.setdefault(v, "kaifang.web.templating.ROLE_MSGIDS")
    for item in MENU:
        found.setdefault(item.label, "kaifang.web.console.MENU")
    for v in ORG_KINDS.values():
        found.setdefault(v, "kaifang.accounts.routes.console.ORG_KINDS")
    for s in STATES:  # tasks/jobs.html shows _(s|capitalize)
        found.setdefault(s.capitalize(), "kaifang.tasks.queries.STATES")
    found.setdefault("periodic", "tasks/jobs.html")
    return found


def all_msgids() -> dict[str, str]:
    found = other_msgids()
    for source in (python_msgids(), template_msgids()):
        for k, v in source.items():
            found.setdefault(k, v)
    return found


def test_the_scan_finds_msgids() -> None:
    """Guard against a scanner that silently finds nothing."""
    templates, python = template_msgids(), python_msgids()
    assert {"Personal centre", "Audit trail", "Background jobs", "Reason"} <= set(templates)
    assert "Version %(v)s, accepted on %(at)s" in templates
    assert {
        "reset_mail_body",
        "Reset your Kaifang password",
        "The e-mail address or password is wrong.",
        "Too many failed sign-ins: the account is locked until %(until)s.",
        "The password must be at least %(min)s characters long.",
        "Please enter the organisation's name.",
        "The two passwords do not match.",
        (
            "The unified social credit code contains characters it never uses "
            "(positions 3-8 are digits; I, O, S, V and Z never appear)."
        ),
        "Unknown organisation type.",
        "This role cannot be held in this kind of organisation.",
    } <= set(python)
    assert "{{" not in "".join(templates) and len(all_msgids()) > 150


def test_every_msgid_has_a_chinese_translation() -> None:
    zh = translations("zh_CN")
    missing = {msgid: where for msgid, where in all_msgids().items() if zh.gettext(msgid) == msgid}
    assert missing == {}, "msgids without a zh_CN translation:\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]))


def test_translations_keep_their_placeholders() -> None:
    zh = translations("zh_CN")
    wrong = []
    for msgid in all_msgids():
        text = zh.gettext(msgid)
        expected = SPECIAL.get(msgid, set(_PLACEHOLDER.findall(msgid)))
        if set(_PLACEHOLDER.findall(text)) != expected:
            wrong.append(f"{msgid!r} -> {text!r}")
        # Jinja's newstyle gettext always applies ``% params``: a stray % would break the page.
        if "%" in _PLACEHOLDER.sub("", text).replace("%%", ""):
            wrong.append(f"stray % in {text!r}")
    assert wrong == []


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_reset_mail_body_is_a_real_mail(lang: str) -> None:
    body = translations(lang).gettext("reset_mail_body") % {
        "name": "张三", "link": "https://example.test/password/reset/abc", "hours": 2}
    assert "reset_mail_body" not in body
    assert "张三" in body and "https://example.test/password/reset/abc" in body and "2" in body
    if lang == "zh_CN":
        assert "苏州市公共数据开放平台" in body


def test_sample_translations() -> None:
    zh = translations("zh_CN")
    assert zh.gettext("Personal centre") == "个人中心"
    assert zh.gettext("Audit trail") == "审计日志"
    assert zh.gettext("Unified social credit code") == "统一社会信用代码"
    assert zh.gettext("Chief data officer") == "首席数据官"
