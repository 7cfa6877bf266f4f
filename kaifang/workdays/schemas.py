"""What the operator's calendar page posts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

NOT_A_DATE = "This is not a valid date: write it as YYYY-MM-DD."
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(NOT_A_DATE) from None


# A day written YYYY-MM-DD (anything else is refused with NOT_A_DATE).
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class OverrideInput(BaseModel):
    date: IsoDate = Field(default=None, validate_default=True)  # absent: NOT_A_DATE, like a bad one
    is_workday: Literal["yes", "no"] = "no"
    note: str = Field(default="", max_length=1000)  # the service allows 200 and says so


class ReasonInput(BaseModel):
    reason: str = Field(default="", max_length=1000)


class YearInput(BaseModel):
    year: int = 0
    note: str = Field(default="", max_length=1000)


class ImportInput(BaseModel):
    text: str = Field(default="", max_length=200_000)
