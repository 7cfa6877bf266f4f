"""Input schemas for accounts: what the services take, and what the account pages and the console post.

Text fields default to "" so that a form sent with empty inputs reaches the service, which reports every
problem at once (``ValidationErrors``); the schema itself refuses only what no form offers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

ORG_KIND_CODES = ("bureau", "provider", "operator", "expert_committee", "supervisor")


class Registration(BaseModel):
    kind: Literal["natural", "legal", "unincorporated"] = "natural"
    email: str = Field(default="", max_length=254)
    display_name: str = Field(default="", max_length=100)
    org_name: str | None = Field(default=None, max_length=200)
    uscc: str | None = Field(default=None, max_length=30)
    phone: str | None = Field(default=None, max_length=30)
    password: str = Field(default="", max_length=200)
    password_confirm: str = Field(default="", max_length=200)
    accept_rules: bool = False

    @field_validator("accept_rules", mode="before")
    @classmethod
    def _ticked(cls, value: Any) -> bool:
        # The page's checkbox sends "yes" when ticked and nothing otherwise.
        return value is True or value == "yes"


class OrganisationInput(BaseModel):
    name: str = Field(default="", max_length=200)
    kind: Literal["bureau", "provider", "operator", "expert_committee", "supervisor"] = "provider"
    region_code: str = Field(default="", max_length=12)
    uscc: str | None = Field(default=None, max_length=30)
    domain: str | None = Field(default=None, max_length=30)

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: Any) -> Any:
        if value not in ORG_KIND_CODES:
            raise ValueError("Unknown organisation type.")
        return value


class ProfileUpdate(BaseModel):
    display_name: str = Field(default="", max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    lang: Literal["zh_CN", "en"] = "zh_CN"


# --- what the pages post ----------------------------------------------------------------------------

class SignIn(BaseModel):
    email: str = Field(default="", max_length=254)
    password: str = Field(default="", max_length=200)
    next: str = Field(default="", max_length=2000)


class EmailInput(BaseModel):
    email: str = Field(default="", max_length=254)


class NewPassword(BaseModel):
    password: str = Field(default="", max_length=200)
    password_confirm: str = Field(default="", max_length=200)


class PasswordChange(NewPassword):
    old_password: str = Field(default="", max_length=200)


class KeyInput(BaseModel):
    key_name: str = Field(default="", max_length=200)


class MemberInput(BaseModel):
    """A35.1: register a person (by the e-mail of their account) in a role of the organisation."""

    email: str = Field(default="", max_length=254)
    role: str = Field(default="", max_length=30)
    reason: str = Field(default="", max_length=4000)  # the service keeps the first 500 characters


class ReasonInput(BaseModel):
    reason: str = Field(default="", max_length=4000)  # the service keeps the first 500 characters


class ActiveInput(BaseModel):
    active: Literal["yes", "no"] = "no"
