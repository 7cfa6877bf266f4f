"""The declared shape of a tabular dataset: its data items (A14.2), as the data engine uses them.

Shared by ingest (checks values against the declared types), the query engine, downloads and the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


class FieldFormat(StrEnum):
    """Semantic checks on string fields, reported in the quality report (A16.1)."""

    USCC = "uscc"  # 统一社会信用代码, GB 32100 check character
    ID_CARD = "id_card"  # 居民身份证号码, GB 11643 check digit


# DuckDB / Parquet physical type of each declared type.
DUCKDB_TYPES: dict[FieldType, str] = {
    FieldType.STRING: "VARCHAR",
    FieldType.INTEGER: "BIGINT",
    FieldType.DECIMAL: "DOUBLE",
    FieldType.BOOLEAN: "BOOLEAN",
    FieldType.DATE: "DATE",
    FieldType.DATETIME: "TIMESTAMP",
}

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Names the engine uses itself (DuckDB's virtual row-number column): never a data item's name.
RESERVED_NAMES = frozenset({"file_row_number", "filename", "rowid"})


def field_name_problem(name: str) -> str | None:
    """A msgid saying why ``name`` cannot be a data item's machine name, or None."""
    if not FIELD_NAME.match(name):
        return "A field name starts with a lower-case letter and uses only a-z, 0-9 and _ (at most 63 characters)."
    if name in RESERVED_NAMES:
        return "This field name is reserved by the platform: please choose another."
    return None


@dataclass(frozen=True)
class FieldSpec:
    """One data item: ``name`` is the machine name (column in files and the API), ``title`` the Chinese name."""

    name: str
    title: str
    type: FieldType = FieldType.STRING
    format: FieldFormat | None = None
    required: bool = False
    description: str = ""
    unit: str = ""
    sensitivity: str = "public"  # grade of the item (A31.1): public | internal | sensitive


@dataclass(frozen=True)
class TableSchema:
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def get(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_json(self) -> list[dict]:
        return [
            {"name": f.name, "title": f.title, "type": f.type.value, "format": f.format.value if f.format else None,
             "required": f.required, "description": f.description, "unit": f.unit, "sensitivity": f.sensitivity}
            for f in self.fields
        ]

    @classmethod
    def from_json(cls, items: list[dict]) -> TableSchema:
        return cls(tuple(
            FieldSpec(name=i["name"], title=i.get("title", i["name"]), type=FieldType(i.get("type", "string")),
                      format=FieldFormat(i["format"]) if i.get("format") else None,
                      required=bool(i.get("required", False)), description=i.get("description", ""),
                      unit=i.get("unit", ""), sensitivity=i.get("sensitivity", "public"))
            for i in items
        ))
