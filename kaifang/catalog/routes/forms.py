"""The console's entry form (A14.2): its fields and its table of data items, read into an ``EntryInput``.

The data items are rows of inputs named ``items-<n>-<field>``; a row whose text inputs are all blank is
ignored, so the form can offer empty rows to fill. Values are kept as typed, so that a form sent back with
errors shows what the person wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from kaifang.catalog.schemas import EntryInput, EntryView
from kaifang.errors import Message
from kaifang.web.forms import Submitted

EMPTY_ROWS = 8
MAX_ITEMS = 500
TEXT_FIELDS = ("name", "summary", "industry", "open_conditions", "contact_name", "contact_phone", "contact_email",
               "usage_terms", "scenarios", "citation")
CHOICE_FIELDS = ("domain", "open_class", "data_type", "update_frequency")
ITEM_TEXT = ("name", "title", "unit", "description")
ITEM_FIELDS = (*ITEM_TEXT, "type", "format", "sensitivity", "required")
_ITEM_KEY = re.compile(r"^items-(\d{1,3})-(\w+)$")
_LIST_SPLIT = re.compile(r"[,，、;；\n]+")

# Messages (msgids) for what the form itself refuses; the services check everything else.
NOT_A_NUMBER = "Please enter a whole number of 0 or more."
NO_PROVIDER = "Please choose the provider."
TOO_LONG = "This value is too long."
BAD_VALUE = "Please check this value."


def blank_item() -> dict[str, Any]:
    return {"name": "", "title": "", "type": "string", "format": "", "unit": "", "description": "",
            "sensitivity": "public", "required": False}


@dataclass
class EntryForm:
    """What the form shows: ``values`` (strings and lists), ``items`` (dicts), and ``errors`` (field -> msgid;
    data items as ``items.<row>.<field>``)."""

    values: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The items, then empty rows to fill."""
        return self.items + [blank_item() for _ in range(EMPTY_ROWS)]

    def submitted(self, new: bool = False) -> Submitted[EntryInput]:
        """The form as ``act()`` takes it; a new entry must name its provider (``org_id``)."""
        if new and not str(self.values.get("org_id", "")).isdigit():
            self.errors["org_id"] = NO_PROVIDER
        data = self.data()
        return Submitted(self.values, data, {k: Message(v) for k, v in self.errors.items()})

    def data(self) -> EntryInput | None:
        """The service's input, or None when the form itself found errors (in ``errors``)."""
        if self.errors:
            return None
        v = self.values
        try:
            return EntryInput.model_validate({
                **{k: v.get(k, "") for k in TEXT_FIELDS},
                **{k: v.get(k) or None for k in CHOICE_FIELDS},
                "tags": v.get("tags_list", []), "themes": v.get("themes_list", []), "formats": v.get("formats", []),
                "row_count": int(v["row_count"]) if v.get("row_count") else None,
                "expert_review_requested": bool(v.get("expert_review_requested")),
                "items": [{k: item[k] or None if k == "format" else item[k] for k in ITEM_FIELDS}
                          for item in self.items],
            })
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                self.errors[where] = TOO_LONG if "too_long" in err["type"] else BAD_VALUE
            return None


def _split(text: str) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]


def read_form(form: FormData) -> EntryForm:
    def text(key: str) -> str:
        value = form.get(key, "")
        return value if isinstance(value, str) else ""

    values: dict[str, Any] = {k: text(k) for k in (*TEXT_FIELDS, *CHOICE_FIELDS, "tags", "themes", "row_count",
                                                   "org_id")}
    values["tags_list"], values["themes_list"] = _split(values["tags"]), _split(values["themes"])
    values["formats"] = [f for f in form.getlist("formats") if isinstance(f, str)]
    values["expert_review_requested"] = text("expert_review_requested") == "1"
    result = EntryForm(values=values)
    if values["row_count"].strip() and not values["row_count"].strip().isdigit():
        result.errors["row_count"] = NOT_A_NUMBER
    values["row_count"] = values["row_count"].strip()

    rows: dict[int, dict[str, Any]] = {}
    for key in form.keys():
        match = _ITEM_KEY.match(key)
        if match and match.group(2) in ITEM_FIELDS:
            rows.setdefault(int(match.group(1)), blank_item())[match.group(2)] = text(key)
    for n in sorted(rows):
        row = rows[n]
        row["required"] = row["required"] == "1"
        if any(str(row[k]).strip() for k in ITEM_TEXT):
            result.items.append(row)
    del result.items[MAX_ITEMS:]
    return result


async def posted_entry(request: Request) -> EntryForm:
    """A FastAPI dependency: the posted entry form."""
    return read_form(await request.form())


def form_of(entry: EntryView) -> EntryForm:
    """The edit form of an entry, filled with what it holds now."""
    card = entry.card
    values: dict[str, Any] = {
        "name": card.name, "summary": card.summary, "industry": entry.industry,
        "open_conditions": entry.open_conditions, "contact_name": entry.contact_name,
        "contact_phone": entry.contact_phone, "contact_email": entry.contact_email, "usage_terms": entry.usage_terms,
        "scenarios": entry.scenarios, "citation": entry.citation, "domain": card.domain or "",
        "open_class": card.open_class or "", "data_type": card.data_type or "",
        "update_frequency": card.update_frequency or "", "tags": "、".join(card.tags),
        "themes": "、".join(entry.themes), "formats": list(card.formats),
        "row_count": "" if entry.row_count is None else str(entry.row_count),
        # EntryView does not say whether the provider asked for an expert review; an entry that needs one for
        # no other reason (not conditional, no sensitive item) must have asked.
        "expert_review_requested": bool(entry.needs_expert_review) and card.open_class != "conditional"
        and all(f.sensitivity != "sensitive" for f in entry.schema.fields),
    }
    items = [{"name": f.name, "title": f.title, "type": f.type.value, "format": f.format.value if f.format else "",
              "unit": f.unit, "description": f.description, "sensitivity": f.sensitivity, "required": f.required}
             for f in entry.schema.fields]
    return EntryForm(values=values, items=items)


def new_form(org_id: str = "") -> EntryForm:
    return EntryForm(values={"formats": ["csv", "json", "xml", "xlsx"], "data_type": "table",
                             "open_class": "unconditional", "org_id": org_id})
