"""A21.1: the use agreement (公共数据利用协议), made from the operator's template and filled with what the provider
approved. The text is fixed when the agreement is made; each side signs the SHA-256 of that exact text."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping

from kaifang.errors import BusinessRuleError

# Every clause A21.1 names, in the order the agreement shows them: key -> English msgid of its heading.
CLAUSES: dict[str, str] = {
    "purpose": "Purpose of use",
    "scope": "Scope of use",
    "manner": "Manner of use",
    "follow_up": "Follow-up service and feedback duties",
    "prohibitions": "Prohibitions",
    "credit": "Credit commitment",
    "liability": "Liability for breach",
    "disputes": "Dispute resolution",
}
CLAUSE_HEADINGS_ZH = {
    "purpose": "利用目的", "scope": "利用范围", "manner": "利用方式", "follow_up": "后续服务与反馈义务",
    "prohibitions": "禁止性规定", "credit": "信用承诺", "liability": "违约责任", "disputes": "争议解决",
}

# What a template may refer to; filled from the approved application.
PLACEHOLDERS: dict[str, str] = {
    "applicant": "the applicant (person or company)",
    "provider": "the data provider",
    "application_no": "the application number",
    "title": "the application's title",
    "purpose": "the approved purpose",
    "datasets": "the approved datasets with their data items and row conditions",
    "deliveries": "the approved delivery paths",
    "start": "the first day of the period",
    "end": "the last day of the period",
}

DEFAULT_TITLE = "苏州市公共数据利用协议"
DEFAULT_CLAUSES: dict[str, str] = {
    "purpose": "甲方（数据开放主体）{provider}同意乙方（数据利用主体）{applicant}依据申请（编号 {application_no}，"
               "“{title}”）利用有条件开放的公共数据，利用目的限于：{purpose}。",
    "scope": "乙方可利用的数据限于以下数据集、数据项及数据范围：\n{datasets}\n利用期限自 {start} 起至 {end} 止。",
    "manner": "数据通过以下方式提供：{deliveries}。乙方应在苏州市公共数据开放平台上以经批准的方式获取数据，"
              "每一次获取均记录于平台访问日志，可追溯至乙方。",
    "follow_up": "乙方应按平台要求反馈数据利用情况、数据质量问题及利用成果（应用、论文、报告等），"
                 "并在成果中注明数据来源。甲方应提供必要的数据解释及更新服务。",
    "prohibitions": "乙方不得将数据用于批准目的以外的用途，不得向任何第三方提供、转让或出售原始数据，"
                    "不得试图重新识别个人身份，不得超出批准的范围、方式和期限获取数据。",
    "credit": "乙方承诺申请材料真实、合法，严格遵守数据安全管理要求；违反本协议的行为将记入乙方信用记录。",
    "liability": "乙方违反本协议的，甲方或市大数据主管部门可限制或关闭其数据获取权限，并依法追究相应责任。",
    "disputes": "因本协议产生的争议，双方应协商解决；协商不成的，可向苏州市大数据主管部门申请调解，"
                "或依法向甲方所在地人民法院提起诉讼。",
}


def check_clauses(clauses: Mapping[str, str]) -> dict[str, str]:
    """Every clause present and non-empty, every ``{placeholder}`` known. Returns the cleaned clauses; a refusal
    names the clause at fault (its key) as the field."""
    clean: dict[str, str] = {}
    for key in CLAUSES:
        text = (clauses.get(key) or "").strip()
        if not text:
            raise BusinessRuleError("Every clause of the agreement must be written: %(clause)s is empty.", key,
                                    clause=CLAUSES[key])
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            raise BusinessRuleError("Unbalanced braces in %(clause)s: write {{ and }} for a literal brace.", key,
                                    clause=CLAUSES[key]) from None
        unknown = sorted(n for n in names if n not in PLACEHOLDERS)
        if unknown:
            raise BusinessRuleError("Unknown placeholder {%(name)s} in %(clause)s.", key, name=unknown[0],
                                    clause=CLAUSES[key])
        clean[key] = text
    return clean


def render(title: str, clauses: Mapping[str, str], values: Mapping[str, str]) -> str:
    """The agreement's exact text: the title, then each clause numbered with its Chinese heading."""
    lines = [title, ""]
    for n, key in enumerate(CLAUSES, start=1):
        lines.append(f"第{_CN_NUMBERS[n]}条　{CLAUSE_HEADINGS_ZH[key]}")
        lines.append(clauses[key].format_map(dict(values)))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_CN_NUMBERS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}
