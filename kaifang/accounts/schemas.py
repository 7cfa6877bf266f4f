"""Input schemas for accounts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Registration(BaseModel):
    kind: Literal["natural", "legal", "unincorporated"]
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=100)
    org_name: str | None = Field(default=None, max_length=200)
    uscc: str | None = Field(default=None, max_length=30)
    phone: str | None = Field(default=None, max_length=30)
    password: str = Field(max_length=200)
    password_confirm: str = Field(max_length=200)
    accept_rules: bool = False


class OrganisationInput(BaseModel):
    name: str = Field(max_length=200)
    kind: Literal["bureau", "provider", "operator", "expert_committee", "supervisor"]
    region_code: str = Field(max_length=12)
    uscc: str | None = Field(default=None, max_length=30)
    domain: str | None = Field(default=None, max_length=30)


class ProfileUpdate(BaseModel):
    display_name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    lang: Literal["zh_CN", "en"] = "zh_CN"
