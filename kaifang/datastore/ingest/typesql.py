"""The declared types as DuckDB SQL: which text values each type accepts, and how they convert (A9.2).

Accepted text (spaces around the value, ASCII or the ideographic space U+3000, are ignored for every type
but string):

- integer: an optional sign and digits (no thousands separators, no exponent), within BIGINT;
- decimal: an optional sign, digits with an optional decimal point, an optional exponent; finite;
- boolean: true/false, 1/0, 是/否 (any case);
- date: YYYY-MM-DD or YYYY/MM/DD (month and day may have one digit), a real calendar day;
- datetime: such a date, ``T`` or a space, HH:MM[:SS[.ffffff]], then optionally ``Z`` or an offset
  (+08:00, +0800, +08). A value with an offset is converted to China Standard Time (UTC+8, no daylight
  saving), the wall time the stored naive TIMESTAMP holds.

Empty values become NULL for every type, strings included: CSV, workbooks and JSON do not tell an empty
string from a missing value the same way, so the published table does not either.

DuckDB's own casts are lenient (``0x10``, ``1_000``, ``24:00:00``), so every conversion is guarded by a strict
regular expression first; measured on the 1M-row benchmark, the guard costs about 0.1 s per column.
"""

from __future__ import annotations

from kaifang.datastore.schema import FieldType

from . import errors as m

_W = "[ \\t\\r\\n\u3000]*"  # RE2 syntax inside a SQL literal (SQL does not interpret the backslashes)
INTEGER_RE = "[+-]?[0-9]+"
DECIMAL_RE = "[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?"
DATE_RE = "([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{4}/[0-9]{1,2}/[0-9]{1,2})"
TIME_RE = "([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
TZ_RE = "(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)"
DATETIME_RE = f"{DATE_RE}[T ]{TIME_RE}{TZ_RE}?"
TRUE_WORDS = ("true", "1", "是")
FALSE_WORDS = ("false", "0", "否")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _full(col: str, pattern: str) -> str:
    return f"regexp_full_match({col}, '{_W}{pattern}{_W}')"


def blank_sql(col: str) -> str:
    """SQL: whether VARCHAR ``col`` is NULL, empty or only spaces (the pattern runs only on values that start
    with a space or a control character, so that a column of ordinary text costs a comparison)."""
    return (f"({col} IS NULL OR (({col} < '!' OR starts_with({col}, '\u3000')) "
            f"AND regexp_full_match({col}, '{_W}')))")


def _bare(col: str) -> str:
    # The guard allows spaces only around the value; DuckDB's casts ignore ASCII ones but not U+3000.
    return f"replace({col}, '\u3000', '')"


def _words(words: tuple[str, ...]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def typed_sql(col: str, ftype: FieldType) -> str:
    """SQL converting VARCHAR ``col`` to DUCKDB_TYPES[ftype]: NULL for a blank value and for one the type
    does not accept (``blank_sql`` tells them apart)."""
    if ftype is FieldType.STRING:
        return f"nullif({col}, '')"
    if ftype is FieldType.INTEGER:
        return f"(CASE WHEN {_full(col, INTEGER_RE)} THEN TRY_CAST({_bare(col)} AS BIGINT) END)"
    if ftype is FieldType.DECIMAL:
        number = f"(CASE WHEN {_full(col, DECIMAL_RE)} THEN TRY_CAST({_bare(col)} AS DOUBLE) END)"
        return f"nullif(nullif({number}, 'inf'::DOUBLE), '-inf'::DOUBLE)"
    if ftype is FieldType.BOOLEAN:
        word = f"lower(trim({_bare(col)}))"
        return (f"(CASE WHEN {col} IN ({_words(TRUE_WORDS)}) THEN true WHEN {col} IN ({_words(FALSE_WORDS)}) "
                f"THEN false WHEN {word} IN ({_words(TRUE_WORDS)}) THEN true "
                f"WHEN {word} IN ({_words(FALSE_WORDS)}) THEN false END)")
    if ftype is FieldType.DATE:
        return f"(CASE WHEN {_full(col, DATE_RE)} THEN TRY_CAST(replace({_bare(col)}, '/', '-') AS DATE) END)"
    return _datetime_sql(col)


def _datetime_sql(col: str) -> str:
    v = f"trim({_bare(col)})"
    local = f"TRY_CAST(replace({v}, '/', '-') AS TIMESTAMP)"
    zone = f"regexp_extract({v}, '{TZ_RE}$', 0)"
    digits = f"replace({zone}, ':', '')"
    offset = (f"(CASE WHEN {zone} = 'Z' THEN 0 ELSE (CASE WHEN left({zone}, 1) = '-' THEN -1 ELSE 1 END) * "
              f"(CAST(substr({digits}, 2, 2) AS INTEGER) * 60 + "
              f"CASE WHEN strlen({digits}) = 5 THEN CAST(right({digits}, 2) AS INTEGER) ELSE 0 END) END)")
    zoned = (f"TRY_CAST(replace(regexp_replace({v}, '{TZ_RE}$', ''), '/', '-') AS TIMESTAMP)"
             f" + to_minutes(480 - {offset})")
    return (f"(CASE WHEN {_full(col, DATETIME_RE)} THEN "
            f"(CASE WHEN regexp_matches({col}, '{TZ_RE}{_W}$') THEN {zoned} ELSE {local} END) END)")


def refusal_sql(col: str, ftype: FieldType) -> tuple[str, tuple[str, ...]]:
    """For a value of ``col`` that ``typed_sql`` refused: SQL giving an index into the returned msgids, which
    say why (evaluated on the few rows a message quotes)."""
    if ftype is FieldType.INTEGER:
        return (f"(CASE WHEN {_full(col, INTEGER_RE)} THEN 1 ELSE 0 END)",
                (m.VALUE_NOT_INTEGER, m.VALUE_INTEGER_RANGE))
    if ftype is FieldType.DECIMAL:
        return (f"(CASE WHEN {_full(col, DECIMAL_RE)} THEN 1 ELSE 0 END)",
                (m.VALUE_NOT_DECIMAL, m.VALUE_DECIMAL_RANGE))
    msgid = {FieldType.BOOLEAN: m.VALUE_NOT_BOOLEAN, FieldType.DATE: m.VALUE_NOT_DATE,
             FieldType.DATETIME: m.VALUE_NOT_DATETIME}.get(ftype, m.ROW_UNREADABLE)
    return "0", (msgid,)
