"""Checking a draft's values (A14.2) before they are stored: every problem at once, as field -> message.

A draft may still lack required elements: completeness is checked on submission (``rules.missing_fields``).
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from kaifang.catalog.schemas import EntryDetailsInput, EntryInput
from kaifang.catalog.vocabulary import DOMAINS, FORMATS, SENSITIVITY_LABELS, DataType, Frequency, OpenClass
from kaifang.datastore.schema import FIELD_NAME, FieldFormat, FieldType
from kaifang.errors import Message, ValidationErrors

MAX_LABEL = 50  # tags and themes
MAX_ITEM_NAME = 63  # FIELD_NAME's limit (a PostgreSQL identifier)


def _labels(values: list[str]) -> list[str]:
    out: list[str] = []
    for raw in values:
        v = " ".join(raw.split())[:MAX_LABEL]
        if v and v not in out:
            out.append(v)
    return out


def check_details(data: EntryDetailsInput, errors: dict[str, str | Message]) -> dict[str, Any]:
    """The descriptive part, cleaned; its problems are added to ``errors``."""
    email = data.contact_email.strip()
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["contact_email"] = "Please enter a valid e-mail address."
    return {
        "summary": data.summary.strip(), "themes": _labels(data.themes), "industry": data.industry.strip(),
        "tags": _labels(data.tags), "contact_name": data.contact_name.strip(),
        "contact_phone": data.contact_phone.strip(), "contact_email": email, "row_count": data.row_count,
        "usage_terms": data.usage_terms.strip(), "scenarios": data.scenarios.strip(), "citation": data.citation.strip(),
    }


def _check_items(data: EntryInput, errors: dict[str, str | Message]) -> list[dict[str, Any]]:
    items, seen = [], set()
    for i, item in enumerate(data.items):
        name = item.name.strip()
        if not FIELD_NAME.match(name):
            errors[f"items.{i}.name"] = Message(
                "A data item's name must start with a lower-case letter and use only lower-case letters, digits "
                "and underscores (at most %(max)s).", {"max": MAX_ITEM_NAME})
        elif name in seen:
            errors[f"items.{i}.name"] = "Two data items have the same name."
        seen.add(name)
        if item.type not in set(FieldType):
            errors[f"items.{i}.type"] = "Unknown data item type."
        if item.format and item.format not in set(FieldFormat):
            errors[f"items.{i}.format"] = "Unknown data item format."
        if item.sensitivity not in SENSITIVITY_LABELS:
            errors[f"items.{i}.sensitivity"] = "Unknown sensitivity grade."
        items.append({"name": name, "title": item.title.strip(), "type": item.type, "format": item.format or None,
                      "unit": item.unit.strip(), "description": item.description.strip(),
                      "sensitivity": item.sensitivity, "required": item.required})
    return items


def validate_entry(data: EntryInput) -> dict[str, Any]:
    """Every value checked; a draft may still lack required elements (checked on submission, A14.2)."""
    errors: dict[str, str | Message] = {}
    clean = check_details(data, errors)
    checks: list[tuple[str, str | None, set[str], str]] = [("domain", data.domain, set(DOMAINS), "Unknown domain."),
              ("open_class", data.open_class, set(OpenClass), "Unknown open class."),
              ("data_type", data.data_type, set(DataType), "Unknown data type."),
              ("update_frequency", data.update_frequency, set(Frequency), "Unknown update frequency.")]
    for field, value, allowed, msgid in checks:
        if value and value not in allowed:
            errors[field] = msgid
        clean[field] = value or None
    formats = _labels([f.lower() for f in data.formats])
    if any(f not in FORMATS for f in formats):
        errors["formats"] = "Unknown data format."
    clean.update(name=" ".join(data.name.split()), formats=formats, items=_check_items(data, errors),
                 open_conditions=data.open_conditions.strip() if data.open_class == OpenClass.CONDITIONAL else "",
                 expert_review_requested=data.expert_review_requested)
    if errors:
        raise ValidationErrors(errors)
    return clean
