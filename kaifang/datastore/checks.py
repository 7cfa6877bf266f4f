"""Check characters of Chinese identifiers, in Python and as DuckDB SQL, for ingest and the quality report (A16.1).

- 统一社会信用代码 (unified social credit code, GB 32100-2015): ``is_valid_uscc`` from ``kaifang.accounts.uscc``.
- 居民身份证号码 (GB 11643-1999): 18 characters, the last an ISO 7064 MOD 11-2 check character (0-9 or X);
  the old 15-digit numbers have no check character and pass on their shape alone.

The SQL expressions give the same answers as the Python functions (the tests hold them together) and run
vectorised over a whole column, which a Python UDF would not.
"""

from __future__ import annotations

import re

from kaifang.accounts import USCC_CHARSET, USCC_WEIGHTS, is_valid_uscc

__all__ = ["id_card_check_char", "id_card_number_sql", "id_card_valid_sql", "is_valid_id_card", "is_valid_uscc",
           "normalized_sql", "uscc_valid_sql"]

ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
ID_CARD_CHECK = "10X98765432"  # indexed by the weighted sum mod 11
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_USCC_SHAPE = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"


def id_card_check_char(first17: str) -> str:
    return ID_CARD_CHECK[sum(int(c) * w for c, w in zip(first17, ID_CARD_WEIGHTS, strict=True)) % 11]


def is_valid_id_card(value: str) -> bool:
    """True for an 18-character number with the right check character, or a 15-digit old number."""
    code = value.strip().upper()
    if _ID15.match(code):
        return True
    return bool(_ID18.match(code)) and id_card_check_char(code[:17]) == code[17]


def normalized_sql(expr: str) -> str:
    """SQL: the code as the checks read it (trimmed, upper case). Compute it once, in a subquery, and pass it
    with ``normalized=True``: DuckDB does not share it between the branches of the checks."""
    return f"upper(trim({expr}))"


def uscc_valid_sql(expr: str, *, normalized: bool = False) -> str:
    """SQL: whether ``expr`` (VARCHAR) is a valid unified social credit code; NULL stays NULL."""
    code = expr if normalized else normalized_sql(expr)
    total = " + ".join(f"(instr('{USCC_CHARSET}', substr({code}, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(USCC_WEIGHTS))
    check = f"substr('{USCC_CHARSET}', ((31 - ({total}) % 31) % 31) + 1, 1)"
    return f"(regexp_full_match({code}, '{_USCC_SHAPE}') AND substr({code}, 18, 1) = {check})"


def id_card_number_sql(code: str) -> str:
    """SQL: the first 17 characters of a normalised 身份证号 as a BIGINT (NULL unless they are digits)."""
    return f"TRY_CAST(left({code}, 17) AS BIGINT)"


def id_card_valid_sql(expr: str, *, normalized: bool = False, number: str | None = None) -> str:
    """SQL: whether ``expr`` (VARCHAR) is a valid 身份证号 (18 with check character, or 15 digits).

    The 17 digits are read as one BIGINT and taken apart arithmetically, measured twice as fast as extracting
    17 characters; pass ``number`` (``id_card_number_sql`` computed once in a subquery) to share that BIGINT
    between the 17 terms, which DuckDB does not do inside a CASE."""
    code = expr if normalized else normalized_sql(expr)
    number = number or id_card_number_sql(code)
    total = " + ".join(f"(({number} // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(ID_CARD_WEIGHTS))
    return (f"(CASE WHEN {expr} IS NULL THEN NULL WHEN regexp_full_match({code}, '[0-9]{{15}}') THEN true "
            f"WHEN regexp_full_match({code}, '[0-9]{{17}}[0-9X]') "
            f"THEN substr({code}, 18, 1) = substr('{ID_CARD_CHECK}', (({total}) % 11) + 1, 1) ELSE false END)")
